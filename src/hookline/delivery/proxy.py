"""Egress through an HTTP proxy with the target pinned to the address hookline checked.

hookline resolves the target and runs the SSRF guard on every address before it talks to the
proxy, then names the checked address to the proxy (`POST http://<ip>:<port>/...` for http,
`CONNECT <ip>:<port>` for https) and the host name only where the target needs it: the `Host`
header, TLS SNI and certificate verification. So the proxy has nothing to resolve, and a name
that resolves differently a moment later (DNS rebinding) cannot send the request elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL

from hookline.delivery.guard import GuardedResolver, literal_address


class UnresolvableTarget(Exception):
    """The target's host name has no address (`DNS: cannot resolve ...`)."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    url: str
    """The target URL with its host replaced by the checked address."""
    headers: dict[str, str]
    """The request headers, with `Host` naming the target's host (and port, unless default)."""
    server_hostname: str | None
    """The name TLS sends as SNI and verifies the certificate for; None for http."""


async def pin(resolver: GuardedResolver, url: str, headers: dict[str, str]) -> PinnedTarget:
    """Resolve and check the target's host (raising `BlockedTarget`), then address it by IP.

    The first address the resolver answers is used (the system's preference order); the
    proxy makes one connection, so there is no fallback to the others.
    """
    target = URL(url)
    host = target.raw_host or ""
    if literal_address(host) is not None:
        return PinnedTarget(url, headers, None)  # an IP literal: checked before, nothing to resolve
    try:
        addresses = await resolver.resolve(host, target.port or 0)
    except OSError:
        raise UnresolvableTarget(host) from None
    if not addresses:
        raise UnresolvableTarget(host)
    address = addresses[0]["host"]
    return PinnedTarget(
        url=str(target.with_host(address)),
        headers={**headers, "Host": target.host_port_subcomponent or host},
        server_hostname=host.rstrip(".") if target.scheme == "https" else None,
    )


__all__ = ["PinnedTarget", "UnresolvableTarget", "pin"]
