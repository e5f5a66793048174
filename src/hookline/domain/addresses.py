"""Which IP addresses hookline may connect to, decided from tables written down here.

The interpreter's `ipaddress.is_global` is not used: its table changes between patch releases
(Python 3.11.7 calls `::7f00:1`, `64:ff9b::a9fe:a9fe` and `fec0::1` global) and it does not
look inside the IPv6 forms that carry an IPv4 address. Instead:

1. An address inside one of the operator's allowed networks (`HOOKLINE_ALLOWED_TARGET_NETWORKS`)
   passes.
2. Otherwise the most specific row of the tables below that holds the address decides:
   - a row that carries an IPv4 address (IPv4-mapped, IPv4-compatible, SIIT, NAT64 `64:ff9b::/96`,
     6to4, Teredo) is judged by what it carries: every embedded address must pass in turn
     (Teredo carries two: its server and its client). The local-use NAT64 prefix
     `64:ff9b:1::/48` is refused whatever it carries: IANA marks it not globally reachable, and
     where the IPv4 address sits inside it depends on a local prefix length hookline cannot know.
   - any other row refuses, including the ones IANA marks globally reachable: those are anycast
     service addresses (PCP, TURN, AMT, AS112) or identifiers that are not locators (ORCHID,
     DETs), never a webhook receiver.
3. An address in no row passes if it is IPv4 unicast, or IPv6 inside global unicast `2000::/3`;
   the rest of the IPv6 space is reserved by the IETF (RFC 4291).

An allowed network admits an embedded form only where the kernel makes the very same IPv4
connection: `127.0.0.0/8` also admits `::ffff:127.0.0.1`, but not `64:ff9b::7f00:1`,
`2002:7f00:1::` or a Teredo address, which reach their IPv4 address through a translator or a
relay somewhere else. To exempt those, list the IPv6 network itself.

The rows follow the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890) with
their "globally reachable" column (None where IANA says N/A, or for rows added from elsewhere:
multicast, site-local, the deprecated IPv4-compatible and SIIT forms).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Carried = Callable[[ipaddress.IPv6Address], tuple[ipaddress.IPv4Address, ...]]

_LOW_32 = 0xFFFF_FFFF


@dataclass(frozen=True, slots=True)
class SpecialRange:
    """One row of a special-purpose registry."""

    network: Network
    name: str
    rfc: str
    globally_reachable: bool | None
    carries: Carried | None = None
    """The IPv4 address(es) an address of this range embeds."""
    judged_by_carried: bool = True
    """False: refused even when what it carries would pass (local-use NAT64)."""

    def describe(self) -> str:
        return f"{self.name} ({self.network}, {self.rfc})"


def _low_32(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    return (ipaddress.IPv4Address(int(address) & _LOW_32),)


def _sixtofour(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """6to4 `2002:AABB:CCDD::/48` carries AA.BB.CC.DD in bits 16..47 (RFC 3056)."""
    return (ipaddress.IPv4Address((int(address) >> 80) & _LOW_32),)


def _teredo(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """Teredo `2001:0:SSSS:SSSS:flags:port:CCCC:CCCC`: the server in bits 32..63, the client as
    the bitwise NOT of the low 32 bits (RFC 4380 section 4)."""
    server = ipaddress.IPv4Address((int(address) >> 64) & _LOW_32)
    client = ipaddress.IPv4Address(~int(address) & _LOW_32)
    return (server, client)


def _row(
    network: str,
    name: str,
    rfc: str,
    globally_reachable: bool | None,
    carries: Carried | None = None,
    *,
    judged_by_carried: bool = True,
) -> SpecialRange:
    return SpecialRange(
        ipaddress.ip_network(network), name, rfc, globally_reachable, carries, judged_by_carried
    )


IPV4_SPECIAL = (
    # IANA IPv4 Special-Purpose Address Registry
    _row("0.0.0.0/8", '"This network"', "RFC 791", False),
    _row("0.0.0.0/32", '"This host on this network"', "RFC 1122", False),
    _row("10.0.0.0/8", "Private-Use", "RFC 1918", False),
    _row("100.64.0.0/10", "Shared Address Space, CGNAT", "RFC 6598", False),
    _row("127.0.0.0/8", "Loopback", "RFC 1122", False),
    _row("169.254.0.0/16", "Link Local, cloud metadata", "RFC 3927", False),
    _row("172.16.0.0/12", "Private-Use", "RFC 1918", False),
    _row("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890", False),
    _row("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", False),
    _row("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", False),
    _row("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", True),
    _row("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", True),
    _row("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880", False),
    _row("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880", False),
    _row("192.0.2.0/24", "Documentation, TEST-NET-1", "RFC 5737", False),
    _row("192.31.196.0/24", "AS112-v4", "RFC 7535", True),
    _row("192.52.193.0/24", "AMT", "RFC 7450", True),
    _row("192.88.99.0/24", "deprecated 6to4 Relay Anycast", "RFC 7526", None),
    _row("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751", True),
    _row("192.168.0.0/16", "Private-Use", "RFC 1918", False),
    _row("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", True),
    _row("198.18.0.0/15", "Benchmarking", "RFC 2544", False),
    _row("198.51.100.0/24", "Documentation, TEST-NET-2", "RFC 5737", False),
    _row("203.0.113.0/24", "Documentation, TEST-NET-3", "RFC 5737", False),
    _row("240.0.0.0/4", "Reserved", "RFC 1112", False),
    _row("255.255.255.255/32", "Limited Broadcast", "RFC 919", False),
    # IANA IPv4 Address Space Registry
    _row("224.0.0.0/4", "Multicast", "RFC 5771", None),
)

IPV6_SPECIAL = (
    # IANA IPv6 Special-Purpose Address Registry
    _row("::1/128", "Loopback Address", "RFC 4291", False),
    _row("::/128", "Unspecified Address", "RFC 4291", False),
    _row("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", False, _low_32),
    _row("64:ff9b::/96", "NAT64 IPv4-IPv6 Translation", "RFC 6052", True, _low_32),
    _row(
        "64:ff9b:1::/48",
        "NAT64 IPv4-IPv6 Translation, local use",
        "RFC 8215",
        False,
        _low_32,
        judged_by_carried=False,
    ),
    _row("100::/64", "Discard-Only Address Block", "RFC 6666", False),
    _row("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", False),
    _row("2001::/23", "IETF Protocol Assignments", "RFC 2928", False),
    _row("2001::/32", "TEREDO", "RFC 4380", None, _teredo),
    _row("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", True),
    _row("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", True),
    _row("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", True),
    _row("2001:2::/48", "Benchmarking", "RFC 5180", False),
    _row("2001:3::/32", "AMT", "RFC 7450", True),
    _row("2001:4:112::/48", "AS112-v6", "RFC 7535", True),
    _row("2001:10::/28", "deprecated, previously ORCHID", "RFC 4843", None),
    _row("2001:20::/28", "ORCHIDv2", "RFC 7343", True),
    _row("2001:30::/28", "Drone Remote ID Protocol Entity Tags", "RFC 9374", True),
    _row("2001:db8::/32", "Documentation", "RFC 3849", False),
    _row("2002::/16", "6to4", "RFC 3056", None, _sixtofour),
    _row("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", True),
    _row("3fff::/20", "Documentation", "RFC 9637", False),
    _row("5f00::/16", "Segment Routing SRv6 SIDs", "RFC 9602", False),
    _row("fc00::/7", "Unique-Local", "RFC 4193", False),
    _row("fe80::/10", "Link-Local Unicast", "RFC 4291", False),
    # IANA IPv6 Address Space Registry and deprecated IPv4-embedding forms
    _row("::/96", "deprecated IPv4-compatible Address", "RFC 4291", None, _low_32),
    _row("::ffff:0:0:0/96", "SIIT IPv4-translated Address", "RFC 2765", None, _low_32),
    _row("fec0::/10", "deprecated Site-Local", "RFC 3879", None),
    _row("ff00::/8", "Multicast", "RFC 4291", None),
)

GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
SAME_CONNECTION = ipaddress.IPv6Network("::ffff:0:0/96")
"""The one embedding form the kernel connects to as its IPv4 address itself."""


def _most_specific_first(rows: Iterable[SpecialRange]) -> tuple[SpecialRange, ...]:
    return tuple(sorted(rows, key=lambda row: row.network.prefixlen, reverse=True))


_V4_ROWS = _most_specific_first(IPV4_SPECIAL)
_V6_ROWS = _most_specific_first(IPV6_SPECIAL)


def special_range(address: IPAddress) -> SpecialRange | None:
    """The most specific registry row holding `address`, if any."""
    rows = _V4_ROWS if isinstance(address, ipaddress.IPv4Address) else _V6_ROWS
    return next((row for row in rows if address in row.network), None)


class AddressPolicy:
    """The verdict on each address: None (it may be reached) or why it may not."""

    def __init__(self, allowed_networks: Sequence[Network] = ()) -> None:
        self.allowed_networks = tuple(allowed_networks)

    def refusal(self, address: IPAddress) -> str | None:
        if self._allowed(address):
            return None
        reason = _reason(address, self._allowed)
        return None if reason is None else f"{address} is not a public address: {reason}"

    def exempts(self, address: IPAddress) -> bool:
        """Whether an allowed network holds `address` (or, IPv4-mapped, its IPv4 address)."""
        if isinstance(address, ipaddress.IPv6Address) and address in SAME_CONNECTION:
            return self._allowed(address) or self._allowed(_low_32(address)[0])
        return self._allowed(address)

    def _allowed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed_networks)


def _never(_: IPAddress) -> bool:
    return False


def _reason(address: IPAddress, allowed: Callable[[IPAddress], bool]) -> str | None:
    row = special_range(address)
    if row is None:
        if isinstance(address, ipaddress.IPv6Address) and address not in GLOBAL_UNICAST_V6:
            return f"outside IPv6 global unicast ({GLOBAL_UNICAST_V6}, RFC 4291), reserved"
        return None
    if row.carries is None or not isinstance(address, ipaddress.IPv6Address):
        return row.describe()
    # Only the IPv4-mapped form is the same IPv4 connection, so only it inherits an exemption.
    inherit = allowed if address in SAME_CONNECTION else _never
    for carried in row.carries(address):
        inner = None if inherit(carried) else _reason(carried, _never)
        if inner is not None:
            return f"{row.describe()} of {carried}, {inner}"
    return None if row.judged_by_carried else row.describe()


__all__ = [
    "GLOBAL_UNICAST_V6",
    "IPV4_SPECIAL",
    "IPV6_SPECIAL",
    "AddressPolicy",
    "IPAddress",
    "Network",
    "SpecialRange",
    "special_range",
]
