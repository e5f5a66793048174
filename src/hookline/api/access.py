"""Who may call the API, decided from the request's head before its body is read.

A refused request (401 for a missing, unknown or revoked key, 429 over a rate) must cost a
small fraction of a served one, or a flood of them slows every tenant. So this ASGI
middleware, in front of FastAPI's routing and body parsing, reads only the Authorization
header: the key is checked against the process's short cache (a database look-up at most every
`KEY_RECHECK`), its bucket is taken, and the principal travels to the route in the scope's
state; a 429 is held a moment before it is sent. Keys this process has not found valid before are limited per client address before
their look-up, so a flood of random keys cannot become one database query each, while a known
key from the same address is still checked again when its cache entry is due.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from hookline.api.problems import ApiError, TooManyRequests, Unauthorized, problem
from hookline.api.ratelimit import RateLimiter
from hookline.service import Hookline, Principal

GUARDED_PREFIX = "/api/"
BOOTSTRAP_ADMIN = "bootstrap-admin"
"""The rate-limit bucket of `HOOKLINE_ADMIN_KEY`, which has no key id."""


@dataclass(frozen=True)
class Admission:
    """The checks every API request passes: its key, the key's rate, the address's failures."""

    service: Hookline
    per_key: RateLimiter
    per_address: RateLimiter
    throttle_delay_s: float = 0.0
    """How long a 429 is held before it is sent (see AccessGuard)."""

    async def admit(self, key: str | None, address: str) -> Principal:
        """The caller's principal, or Unauthorized / TooManyRequests."""
        if not key:
            raise Unauthorized("send an API key as `Authorization: Bearer <key>`")
        known = self.service.is_known(key)
        if not known:  # its look-up costs a query: an address spent on unknown keys gets none
            self.per_address.refuse_if_spent(address)
        found = await self.service.authenticate(key)
        if found is None:
            if not known:
                self.per_address.check(address)
            raise Unauthorized("the API key is unknown or revoked")
        self.per_key.check(found.key_id or BOOTSTRAP_ADMIN)
        return found


def bearer_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, if there is one."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            return key.strip() if scheme.lower() == "bearer" else None
    return None


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def admitted_principal(scope: Scope) -> Principal | None:
    """The principal AccessGuard admitted for this request, if it could decide."""
    principal: Principal | None = scope.get("state", {}).get("principal")
    return principal


class AccessGuard:
    """Answers 401 and 429 problem+json for /api/ requests before FastAPI sees them.

    A 429 is held for `throttle_delay_s` first: a client that ignores Retry-After and sends
    again at once from each of its connections then slows itself down to one request per
    connection per delay, instead of keeping the process busy refusing it.
    """

    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.admission.admit(bearer_key(scope["headers"]), client_address(scope))
        except ApiError as refused:
            if isinstance(refused, TooManyRequests) and self.admission.throttle_delay_s:
                await asyncio.sleep(self.admission.throttle_delay_s)
            response = problem(refused.status, refused.detail, title=refused.title, headers=refused.headers())
            await response(scope, receive, send)
            return
        except Exception:
            # The database did not answer: the route authenticates again, where a failure is
            # answered like every other route's (503 with Retry-After while it is away).
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)
