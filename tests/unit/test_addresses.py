"""The address policy on its own: every form of the SSRF table, the registries' structure, the
IPv4 address each embedding form carries, and what an allowed network exempts."""

import ipaddress

import pytest
from tests.ssrf_forms import FORMS, HOSTILE, PUBLIC, Form

from hookline.domain.addresses import IPV4_SPECIAL, IPV6_SPECIAL, AddressPolicy, special_range

LOOPBACK_ALLOWED = AddressPolicy([ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")])


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.address)
def test_each_form_is_judged_by_what_it_reaches(form: Form) -> None:
    refusal = AddressPolicy().refusal(ipaddress.ip_address(form.address))
    if form.because is None:
        assert refusal is None
    else:
        assert refusal is not None and "is not a public address" in refusal
        assert form.because in refusal


def test_the_table_holds_the_forms_the_issue_names() -> None:
    names = {form.url for form in HOSTILE}
    for host in ("::127.0.0.1", "::7f00:1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::",
                 "::ffff:0:7f00:1", "fec0::1"):  # fmt: skip
        assert f"http://[{host}]/hook" in names
    assert len(HOSTILE) + len(PUBLIC) >= 60


@pytest.mark.parametrize("rows", [IPV4_SPECIAL, IPV6_SPECIAL], ids=["IPv4", "IPv6"])
def test_each_row_names_its_rfc_and_no_network_is_listed_twice(rows) -> None:
    assert all(row.rfc.startswith("RFC ") and row.name for row in rows)
    networks = [row.network for row in rows]
    assert len(set(networks)) == len(networks)


def test_the_most_specific_row_decides() -> None:
    assert special_range(ipaddress.ip_address("192.0.0.9")).name == "Port Control Protocol Anycast"  # type: ignore[union-attr]
    assert special_range(ipaddress.ip_address("192.0.0.200")).name == "IETF Protocol Assignments"  # type: ignore[union-attr]
    assert special_range(ipaddress.ip_address("2001::1")).name == "TEREDO"  # type: ignore[union-attr]
    assert special_range(ipaddress.ip_address("::1")).name == "Loopback Address"  # type: ignore[union-attr]
    assert special_range(ipaddress.ip_address("8.8.8.8")) is None


@pytest.mark.parametrize(
    "address",
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:808:808::fefe:fefe", "2001:0:a00:1:1234:5678:f7f7:f7f7"],
)
def test_teredo_carries_its_server_and_the_inverted_client(address: str) -> None:
    parsed = ipaddress.IPv6Address(address)
    row = special_range(parsed)
    assert row is not None and row.carries is not None
    assert row.carries(parsed) == parsed.teredo  # the standard library reads RFC 4380 the same way


@pytest.mark.parametrize("address", ["2002:7f00:1::", "2002:c0a8:101:5::9", "2002:808:808::1"])
def test_6to4_carries_bits_16_to_47(address: str) -> None:
    parsed = ipaddress.IPv6Address(address)
    row = special_range(parsed)
    assert row is not None and row.carries is not None
    assert row.carries(parsed) == (parsed.sixtofour,)


def test_an_allowed_network_admits_the_same_ipv4_connection_only() -> None:
    """`127.0.0.0/8` admits `::ffff:127.0.0.1` (the kernel connects to 127.0.0.1 itself), not the
    forms that reach 127.0.0.1 of a translator or relay elsewhere."""
    assert LOOPBACK_ALLOWED.refusal(ipaddress.ip_address("127.0.0.5")) is None
    assert LOOPBACK_ALLOWED.refusal(ipaddress.ip_address("::1")) is None
    assert LOOPBACK_ALLOWED.refusal(ipaddress.ip_address("::ffff:127.0.0.1")) is None
    for form in ("::7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::", "::ffff:0:7f00:1", "10.0.0.1"):
        assert LOOPBACK_ALLOWED.refusal(ipaddress.ip_address(form)) is not None, form


def test_an_allowed_ipv6_network_admits_its_own_embedding_forms() -> None:
    nat64 = AddressPolicy([ipaddress.ip_network("64:ff9b::a00:0/104")])  # NAT64 of 10.0.0.0/8
    assert nat64.refusal(ipaddress.ip_address("64:ff9b::10.1.2.3")) is None
    assert nat64.refusal(ipaddress.ip_address("64:ff9b::127.0.0.1")) is not None
    assert nat64.refusal(ipaddress.ip_address("10.1.2.3")) is not None


def test_an_embedded_address_is_named_in_the_refusal() -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address("64:ff9b::a9fe:a9fe")) == (
        "64:ff9b::a9fe:a9fe is not a public address: NAT64 IPv4-IPv6 Translation (64:ff9b::/96, RFC 6052)"
        " of 169.254.169.254, Link Local, cloud metadata (169.254.0.0/16, RFC 3927)"
    )
