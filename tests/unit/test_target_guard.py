"""The SSRF guard's verdict on every address class the delivery path must refuse (no traffic:
addresses are judged, nothing is sent)."""

import ipaddress

import pytest

from hookline.delivery.guard import BlockedTarget, TargetGuard

REFUSED = [
    "127.0.0.1", "127.255.255.254", "0.0.0.0", "::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254",
    "100.64.0.1", "100.127.255.255", "fc00::1", "fd00:ec2::254", "fe80::1", "fe80::1%eth0",
    "224.0.0.1", "ff02::1", "192.0.2.1", "198.18.0.1", "240.0.0.1", "255.255.255.255",
    "::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::ffff:0:7f00:1", "fec0::1",
]  # fmt: skip
PUBLIC = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address):
    with pytest.raises(BlockedTarget, match="is not a public address"):
        TargetGuard().check(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    TargetGuard().check(address)


def test_allowed_networks_exempt_exactly_their_addresses():
    guard = TargetGuard([ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")])
    guard.check("127.0.0.1")
    guard.check("::1")
    guard.check("::ffff:127.0.0.1")
    for address in ("10.0.0.1", "169.254.169.254", "::7f00:1", "64:ff9b::7f00:1"):
        with pytest.raises(BlockedTarget):
            guard.check(address)
