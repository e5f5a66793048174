"""What the use cases need from delivery, as small ports: the runtime hands in the real parts
(delivery/guard.py's TargetGuard, delivery/dispatch.py's Dispatcher), so `service` never
imports `delivery`."""

from __future__ import annotations

from typing import Protocol

from hookline.domain.records import Attempt, ClaimedWebhook
from hookline.domain.urls import TransportRules


class TargetCheck(Protocol):
    transport: TransportRules
    """Which targets plain http:// may reach (HOOKLINE_REQUIRE_HTTPS and credentials)."""

    async def check_host(self, host: str, port: int) -> bool:
        """Resolve `host` as delivery would; raise BlockedTarget if it may not be reached (and
        OSError if it does not resolve). Answers whether every address lies in the allowed
        networks (plain http may then carry credentials)."""


class ProbeSender(Protocol):
    async def send_probe(self, webhook: ClaimedWebhook) -> Attempt:
        """Send one signed attempt of `webhook` now, recording nothing; answers how it went,
        as the attempt (its id is the webhook's)."""
