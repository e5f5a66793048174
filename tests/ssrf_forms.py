"""The SSRF table: target URLs an attacker would try, what each one reaches, and why it is refused.

Shared by the registration test (through the API) and the delivery test (through the resolver
seam), so both judge the same forms. `address` is what the host means once resolved: a
scripted resolver answers it for a name, and a literal URL names it directly (in some spelling).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult

CANONICAL = "canonical IP address"
"""The registration refusal of a numeric host in another spelling (decimal, octal, hex, short)."""


@dataclass(frozen=True)
class Form:
    url: str
    address: str
    because: str | None
    """A part of the refusal for `address` (a registry row's name); None: it must stay allowed."""
    spelling_refused: bool = False
    """The URL's host spells `address` non-canonically, which registration refuses as such."""


def _teredo(server: str, client: str) -> str:
    """A Teredo address (RFC 4380): the client is stored as its bitwise NOT."""
    high = 0x2001_0000 << 96 | int(ipaddress.IPv4Address(server)) << 64
    return str(ipaddress.IPv6Address(high | (~int(ipaddress.IPv4Address(client)) & 0xFFFF_FFFF)))


HOSTILE = [
    # IPv4, canonical
    Form("http://127.0.0.1/hook", "127.0.0.1", "Loopback"),
    Form("http://127.1.2.3:8080/hook", "127.1.2.3", "Loopback"),
    Form("http://0.0.0.0/hook", "0.0.0.0", "This host on this network"),
    Form("http://0.1.2.3/hook", "0.1.2.3", "This network"),
    Form("http://10.0.0.1/hook", "10.0.0.1", "Private-Use"),
    Form("http://172.16.0.1/hook", "172.16.0.1", "Private-Use"),
    Form("http://172.31.255.254/hook", "172.31.255.254", "Private-Use"),
    Form("http://192.168.1.1/hook", "192.168.1.1", "Private-Use"),
    Form("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "Link Local"),
    Form("http://169.254.170.2/v2/credentials", "169.254.170.2", "Link Local"),
    Form("http://100.64.0.1/hook", "100.64.0.1", "Shared Address Space"),
    Form("http://100.100.100.200/latest/meta-data/", "100.100.100.200", "Shared Address Space"),
    Form("http://192.0.0.1/hook", "192.0.0.1", "IPv4 Service Continuity Prefix"),
    Form("http://192.0.0.9/hook", "192.0.0.9", "Port Control Protocol Anycast"),
    Form("http://192.0.0.170/hook", "192.0.0.170", "NAT64/DNS64 Discovery"),
    Form("http://192.0.0.200/hook", "192.0.0.200", "IETF Protocol Assignments"),
    Form("http://192.0.2.1/hook", "192.0.2.1", "Documentation, TEST-NET-1"),
    Form("http://198.51.100.7/hook", "198.51.100.7", "Documentation, TEST-NET-2"),
    Form("http://203.0.113.9/hook", "203.0.113.9", "Documentation, TEST-NET-3"),
    Form("http://198.18.0.1/hook", "198.18.0.1", "Benchmarking"),
    Form("http://198.19.255.254/hook", "198.19.255.254", "Benchmarking"),
    Form("http://192.88.99.1/hook", "192.88.99.1", "6to4 Relay Anycast"),
    Form("http://192.31.196.1/hook", "192.31.196.1", "AS112-v4"),
    Form("http://240.0.0.1/hook", "240.0.0.1", "Reserved"),
    Form("http://255.255.255.255/hook", "255.255.255.255", "Limited Broadcast"),
    Form("http://224.0.0.1/hook", "224.0.0.1", "Multicast"),
    Form("http://239.255.255.250:1900/hook", "239.255.255.250", "Multicast"),
    # IPv4 in other spellings
    Form("http://2130706433/hook", "127.0.0.1", "Loopback", spelling_refused=True),
    Form("http://0177.0.0.1/hook", "127.0.0.1", "Loopback", spelling_refused=True),
    Form("http://0x7f.0.0.1/hook", "127.0.0.1", "Loopback", spelling_refused=True),
    Form("http://0x7f000001/hook", "127.0.0.1", "Loopback", spelling_refused=True),
    Form("http://017700000001/hook", "127.0.0.1", "Loopback", spelling_refused=True),
    Form("http://127.1/hook", "127.0.0.1", "Loopback", spelling_refused=True),
    Form("http://2852039166/latest/meta-data/", "169.254.169.254", "Link Local", spelling_refused=True),
    Form("http://0xa9fea9fe/latest/meta-data/", "169.254.169.254", "Link Local", spelling_refused=True),
    Form("http://010.0.0.1/hook", "10.0.0.1", "Private-Use", spelling_refused=True),
    # IPv6
    Form("http://[::1]/hook", "::1", "Loopback Address"),
    Form("http://[::]/hook", "::", "Unspecified Address"),
    Form("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1", "IPv4-mapped Address (::ffff:0:0/96"),
    Form("http://[::ffff:a9fe:a9fe]/hook", "::ffff:169.254.169.254", "of 169.254.169.254, Link Local"),
    Form("http://[::127.0.0.1]/hook", "::127.0.0.1", "IPv4-compatible Address (::/96"),
    Form("http://[::7f00:1]/hook", "::7f00:1", "IPv4-compatible Address (::/96, RFC 4291) of 127.0.0.1"),
    Form("http://[::a9fe:a9fe]/hook", "::a9fe:a9fe", "of 169.254.169.254, Link Local"),
    Form("http://[64:ff9b::7f00:1]/hook", "64:ff9b::7f00:1", "NAT64 IPv4-IPv6 Translation (64:ff9b::/96"),
    Form("http://[64:ff9b::a9fe:a9fe]/hook", "64:ff9b::a9fe:a9fe", "(64:ff9b::/96, RFC 6052) of 169.254.169.254"),
    Form("http://[64:ff9b::10.0.0.1]/hook", "64:ff9b::a00:1", "of 10.0.0.1, Private-Use"),
    Form("http://[64:ff9b:1::a9fe:a9fe]/hook", "64:ff9b:1::a9fe:a9fe", "local use (64:ff9b:1::/48, RFC 8215) of 169"),
    Form("http://[64:ff9b:1::808:808]/hook", "64:ff9b:1::808:808", "local use (64:ff9b:1::/48, RFC 8215)"),
    Form("http://[2002:7f00:1::]/hook", "2002:7f00:1::", "6to4 (2002::/16, RFC 3056) of 127.0.0.1"),
    Form("http://[2002:a9fe:a9fe::1]/hook", "2002:a9fe:a9fe::1", "6to4 (2002::/16, RFC 3056) of 169.254.169.254"),
    Form("http://[2002:c0a8:101::]/hook", "2002:c0a8:101::", "of 192.168.1.1, Private-Use"),
    Form("http://[::ffff:0:7f00:1]/hook", "::ffff:0:7f00:1", "SIIT IPv4-translated Address (::ffff:0:0:0/96"),
    Form("http://[::ffff:0:a9fe:a9fe]/hook", "::ffff:0:a9fe:a9fe", "of 169.254.169.254, Link Local"),
    Form("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
         "TEREDO (2001::/32, RFC 4380) of 192.0.2.45"),
    Form(f"http://[{_teredo('8.8.8.8', '127.0.0.1')}]/hook", _teredo("8.8.8.8", "127.0.0.1"),
         "TEREDO (2001::/32, RFC 4380) of 127.0.0.1"),
    Form(f"http://[{_teredo('10.0.0.1', '8.8.8.8')}]/hook", _teredo("10.0.0.1", "8.8.8.8"),
         "TEREDO (2001::/32, RFC 4380) of 10.0.0.1"),
    Form("http://[2001::1]/hook", "2001::1", "TEREDO (2001::/32, RFC 4380) of 0.0.0.0"),
    Form("http://[fec0::1]/hook", "fec0::1", "Site-Local"),
    Form("http://[fc00::1]/hook", "fc00::1", "Unique-Local"),
    Form("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254", "Unique-Local"),
    Form("http://[fe80::1]/hook", "fe80::1", "Link-Local Unicast"),
    Form("http://[ff02::1]/hook", "ff02::1", "Multicast"),
    Form("http://[100::1]/hook", "100::1", "Discard-Only Address Block"),
    Form("http://[2001:db8::1]/hook", "2001:db8::1", "Documentation (2001:db8::/32"),
    Form("http://[3fff::1]/hook", "3fff::1", "Documentation (3fff::/20"),
    Form("http://[2001:2::1]/hook", "2001:2::1", "Benchmarking"),
    Form("http://[2001:10::1]/hook", "2001:10::1", "previously ORCHID"),
    Form("http://[2001:20::1]/hook", "2001:20::1", "ORCHIDv2"),
    Form("http://[2001:1::1]/hook", "2001:1::1", "Port Control Protocol Anycast"),
    Form("http://[2001:100::1]/hook", "2001:100::1", "IETF Protocol Assignments"),
    Form("http://[5f00::1]/hook", "5f00::1", "Segment Routing"),
    Form("http://[4000::1]/hook", "4000::1", "outside IPv6 global unicast"),
]  # fmt: skip

PUBLIC = [
    Form("http://93.184.216.34/hook", "93.184.216.34", None),
    Form("https://8.8.8.8/hook", "8.8.8.8", None),
    Form("http://1.1.1.1:8443/hook", "1.1.1.1", None),
    Form("http://100.128.0.1/hook", "100.128.0.1", None),  # just past 100.64.0.0/10
    Form("http://172.32.0.1/hook", "172.32.0.1", None),  # just past 172.16.0.0/12
    Form("http://198.20.0.1/hook", "198.20.0.1", None),  # just past 198.18.0.0/15
    Form("http://192.0.3.1/hook", "192.0.3.1", None),
    Form("http://[2606:4700:4700::1111]/hook", "2606:4700:4700::1111", None),
    Form("http://[2001:4860:4860::8888]/hook", "2001:4860:4860::8888", None),
    Form("http://[2001:200::1]/hook", "2001:200::1", None),  # just past 2001::/23
    Form("http://[::ffff:8.8.8.8]/hook", "::ffff:8.8.8.8", None),
    Form("http://[64:ff9b::808:808]/hook", "64:ff9b::808:808", None),  # NAT64 of a public address
    Form("http://[2002:808:808::1]/hook", "2002:808:808::1", None),  # 6to4 of a public address
    Form(f"http://[{_teredo('8.8.8.8', '1.1.1.1')}]/hook", _teredo("8.8.8.8", "1.1.1.1"), None),
]

FORMS = HOSTILE + PUBLIC


def name_for(index: int) -> str:
    """A host name the scripted resolver answers with `FORMS[index].address`."""
    return f"form-{index}.hostile.test"


def named_url(form_index: int, form: Form) -> str:
    """`form`'s URL with its host replaced by a name that resolves to its address."""
    scheme, rest = form.url.split("://", 1)
    authority, _, path = rest.partition("/")
    port = authority.rsplit(":", 1)[1] if authority.count(":") == 1 or "]:" in authority else None
    host = name_for(form_index) + (f":{port}" if port else "")
    return f"{scheme}://{host}/{path}"


class ScriptedResolver(AbstractResolver):
    """Answers each `form-N.hostile.test` with that form's address, as a hostile DNS server would,
    and an IP literal with itself (as getaddrinfo does); every other name is unknown. Sends
    nothing anywhere."""

    def __init__(self) -> None:
        self.answers = {name_for(index): form.address for index, form in enumerate(FORMS)}

    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list[ResolveResult]:
        try:
            address = ipaddress.ip_address(self.answers.get(host, host))
        except ValueError:
            raise OSError(f"{host} is not a name this test answers") from None
        return [
            {
                "hostname": host,
                "host": str(address),
                "port": port,
                "family": socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                "proto": 6,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        pass
