"""The SSRF guard: hookline only connects to public addresses, unless an operator allows more.

It checks every address a host name resolves to and hands the connector exactly the checked
addresses, so DNS cannot answer differently between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hookline.domain.errors import BlockedTarget

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetGuard:
    def __init__(self, allowed_networks: Sequence[Network] = ()) -> None:
        self.allowed_networks = tuple(allowed_networks)

    def is_allowed(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return True
        return address.is_global and not address.is_multicast

    def check(self, address: str) -> None:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
        if not self.is_allowed(parsed):
            raise BlockedTarget(f"{parsed} is not a public address")

    async def check_host(self, host: str, port: int) -> None:
        """Resolve `host` as delivery would and refuse it if any address is not allowed."""
        resolver = GuardedResolver(self)
        try:
            await resolver.resolve(host, port)
        finally:
            await resolver.close()


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses the whole host when any of its addresses is not allowed."""

    def __init__(self, guard: TargetGuard) -> None:
        self._guard = guard
        self._inner = ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family=socket.AF_UNSPEC)
        for result in results:
            self._guard.check(result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


def literal_address(host: str) -> IPAddress | None:
    """The address an IP-literal host names (aiohttp skips the resolver for those)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


__all__: Any = ["BlockedTarget", "GuardedResolver", "TargetGuard", "literal_address"]
