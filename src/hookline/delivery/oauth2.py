"""OAuth2 client credentials (RFC 6749 §4.4): fetch a token, cache it, send it as Bearer.

The token request is `POST tokenUrl` with the form `grant_type=client_credentials` (plus
`scope` and `audience` if set), the client authenticated with HTTP Basic (RFC 6749 §2.3.1:
client id and secret form-encoded, then joined by `:`), which every authorization server must
support. It goes through the sender, so the SSRF guard, the egress proxy, the TLS roots, the
registration's client certificate and HOOKLINE_DELIVERY_TIMEOUT apply as to an attempt.

A token is cached in the worker process per registration and credentials (a changed secret,
client id, token URL, scope or audience is another key), until REFRESH_MARGIN before its
`expires_in` ends. Concurrent attempts of one registration wait for one token request. A target
that answers a cached token with 401 gets one re-send within the same attempt, with a new token;
a token fetched for this very attempt is not fetched again (the credentials are wrong, and the
attempt fails with the 401 like any other). A failed token request fails the attempt with an
`error` starting `oauth2:`; the next attempt asks again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import quote_plus, urlencode

from hookline.clock import Clock
from hookline.delivery.guard import BlockedTarget
from hookline.delivery.request import bearer_authorization
from hookline.delivery.sender import Sender, Sent, describe_failure, fit_error
from hookline.domain.credentials import OAuth2Client
from hookline.domain.headers import bad_token
from hookline.domain.outcome import AttemptResult

TOKEN_RESPONSE_BYTES = 64 * 1024
REFRESH_MARGIN = timedelta(seconds=30)
"""A token is replaced this long before it expires (a tenth of its life if that is shorter)."""
DEFAULT_LIFETIME = timedelta(minutes=5)
"""How long a token without `expires_in` is used."""
MAX_CACHED_TOKENS = 10_000

Send = Callable[[dict[str, str]], Awaitable[Sent]]
"""Sends the attempt with these headers."""


class TokenError(Exception):
    """Why no token could be had; the message is the attempt's `error` (`oauth2: ...`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"oauth2: {reason}")


@dataclass(frozen=True, slots=True)
class _Token:
    access_token: str
    good_until: datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a claimed Webhook carries for its token: the client, its secret, and the client
    certificate (presented to the token endpoint as well, RFC 8705)."""

    registration_id: str
    client: OAuth2Client
    secret: str
    client_certificate: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The cache key: the registration, and a digest of everything the token depends on."""
        parts = (
            self.client.token_url,
            self.client.client_id,
            self.secret,
            self.client.scope,
            self.client.audience,
        )
        return self.registration_id, hashlib.sha256(json.dumps(parts).encode()).hexdigest()


class TokenSource:
    def __init__(self, *, sender: Sender, clock: Clock) -> None:
        self._sender = sender
        self._clock = clock
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._requests: dict[tuple[str, str], asyncio.Future[_Token]] = {}

    async def send(self, credentials: Credentials, headers: dict[str, str], send: Send) -> Sent:
        """Send the attempt with a Bearer token, re-sending once with a new one if the target
        answers 401 to a cached token."""
        try:
            token, fresh = await self._token(credentials)
        except TokenError as error:
            return Sent(AttemptResult(None, fit_error(str(error))), None, 0, ())  # nothing was sent
        sent = await send(headers | {"Authorization": bearer_authorization(token)})
        if sent.result.status != 401 or fresh:
            return sent
        self._forget(credentials, token)
        try:
            token, _ = await self._token(credentials)
        except TokenError as error:
            failure = AttemptResult(None, fit_error(f"{error} (after the target answered 401)"))
            return Sent(failure, None, sent.duration_ms, ())
        again = await send(headers | {"Authorization": bearer_authorization(token)})
        return replace(again, duration_ms=sent.duration_ms + again.duration_ms)

    async def _token(self, credentials: Credentials) -> tuple[str, bool]:
        """A usable token, and whether it was fetched just now (for this attempt or a concurrent one)."""
        key = credentials.key
        cached = self._tokens.get(key)
        if cached is not None and cached.good_until > self._clock.now():
            return cached.access_token, False
        request = self._requests.get(key)
        if request is None:
            request = asyncio.ensure_future(self._fetch(credentials))
            self._requests[key] = request
            request.add_done_callback(lambda _: self._requests.pop(key, None))
        token = await asyncio.shield(request)
        return token.access_token, True

    def _forget(self, credentials: Credentials, access_token: str) -> None:
        key = credentials.key
        cached = self._tokens.get(key)
        if cached is not None and cached.access_token == access_token:
            del self._tokens[key]

    async def _fetch(self, credentials: Credentials) -> _Token:
        client = credentials.client
        asked_at = self._clock.now()
        form = {"grant_type": "client_credentials", "scope": client.scope, "audience": client.audience}
        basic = f"{quote_plus(client.client_id)}:{quote_plus(credentials.secret)}"
        headers = {
            "Authorization": f"Basic {base64.b64encode(basic.encode()).decode()}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        body = urlencode({name: value for name, value in form.items() if value}).encode()
        try:
            status, answer = await self._sender.fetch(
                client.token_url,
                headers,
                body,
                limit=TOKEN_RESPONSE_BYTES,
                client_certificate=credentials.client_certificate,
            )
        except BlockedTarget as error:
            raise TokenError(f"token endpoint blocked: {error}") from None
        except Exception as error:
            raise TokenError(f"token endpoint unreachable: {describe_failure(error)}") from None
        access_token, lifetime = parse_token_response(status, answer)
        token = _Token(access_token, asked_at + lifetime - min(REFRESH_MARGIN, lifetime / 10))
        self._keep(credentials.key, token)
        return token

    def _keep(self, key: tuple[str, str], token: _Token) -> None:
        self._tokens.pop(key, None)  # re-inserted last: the oldest entries are dropped first
        self._tokens[key] = token
        if len(self._tokens) > MAX_CACHED_TOKENS:
            del self._tokens[next(iter(self._tokens))]


def parse_token_response(status: int, answer: bytes) -> tuple[str, timedelta]:
    """The access token and its lifetime from a token endpoint's answer (RFC 6749 §5.1, §5.2)."""
    try:
        document = json.loads(answer)
    except ValueError:
        document = None
    if not 200 <= status < 300:
        reason = f"token endpoint answered HTTP {status}"
        if isinstance(document, dict) and isinstance(document.get("error"), str):
            described = document.get("error_description")
            detail = f"{document['error']}: {described}" if isinstance(described, str) else document["error"]
            reason += f" ({detail[:200]})"
        raise TokenError(reason)
    if not isinstance(document, dict):
        raise TokenError("token endpoint answered malformed JSON")
    access_token = document.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise TokenError("token endpoint answered no access_token")
    problem = bad_token(access_token)
    if problem:
        raise TokenError(f"access_token cannot be sent as a Bearer token: it {problem}")
    token_type = document.get("token_type")
    if isinstance(token_type, str) and token_type.lower() != "bearer":
        raise TokenError(f"token_type {token_type[:50]!r} is not Bearer")
    return access_token, _lifetime(document.get("expires_in"))


def _lifetime(expires_in: object) -> timedelta:
    """`expires_in` in seconds (a number, or digits in a string as some servers send); without
    a usable one, DEFAULT_LIFETIME."""
    if isinstance(expires_in, str) and expires_in.isascii() and expires_in.isdigit() and len(expires_in) < 10:
        expires_in = int(expires_in)
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and 0 <= expires_in < 10**9:
        return timedelta(seconds=expires_in)
    return DEFAULT_LIFETIME
