"""The SSRF guard: hookline only connects to public addresses, unless an operator allows more.

It checks every address a host name resolves to and hands the connector exactly the checked
addresses, so DNS cannot answer differently between the check and the connection. Which
addresses pass is decided in `hookline.domain.addresses`, from the IANA registries.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from hookline.domain.addresses import AddressPolicy, IPAddress, Network
from hookline.domain.errors import BlockedTarget
from hookline.domain.urls import TransportRules

ResolverFactory = Callable[[], AbstractResolver]
"""Builds the name resolver the guard checks (the system's by default; a script in tests)."""


class TargetGuard:
    def __init__(
        self,
        allowed_networks: Sequence[Network] = (),
        *,
        resolver: ResolverFactory | None = None,
        transport: TransportRules | None = None,
    ) -> None:
        self.policy = AddressPolicy(allowed_networks)
        self.transport = transport or TransportRules()
        self.new_resolver: ResolverFactory = resolver or ThreadedResolver

    @property
    def allowed_networks(self) -> tuple[Network, ...]:
        return self.policy.allowed_networks

    def check(self, address: str) -> None:
        """Refuse `address` (a resolver's answer; an IPv6 zone such as `%eth0` is ignored)."""
        refusal = self.policy.refusal(_parse(address))
        if refusal is not None:
            raise BlockedTarget(refusal)

    def check_scheme(self, url: str) -> None:
        """Refuse a plain `http://` target while HTTPS is required (registered before the switch)."""
        refusal = self.transport.refusal(url)
        if refusal is not None:
            raise BlockedTarget(f"{refusal.field} {refusal.message}")

    async def check_host(self, host: str, port: int) -> bool:
        """Resolve `host` as delivery would and refuse it if any address is not allowed; answers
        whether every address lies in the allowed networks (plain http may carry credentials)."""
        resolver = GuardedResolver(self)
        try:
            results = await resolver.resolve(host, port)
        finally:
            await resolver.close()
        return all(self.policy.exempts(_parse(result["host"])) for result in results)


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses the whole host when any of its addresses is not allowed."""

    def __init__(self, guard: TargetGuard) -> None:
        self._guard = guard
        self._inner = guard.new_resolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family=socket.AF_UNSPEC)
        for result in results:
            self._guard.check(result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()


def _parse(address: str) -> IPAddress:
    return ipaddress.ip_address(address.split("%", 1)[0])


def literal_address(host: str) -> IPAddress | None:
    """The address an IP-literal host names (aiohttp skips the resolver for those)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


__all__: Any = ["BlockedTarget", "GuardedResolver", "ResolverFactory", "TargetGuard", "literal_address"]
