"""The one seam to the network: POST a body, observe what came back, name what went wrong.

aiohttp's exceptions stop here; callers see an `AttemptResult` with an `error` that names
the failure (timeout, connection refused, TLS, DNS, blocked target, ...).
"""

from __future__ import annotations

import asyncio
import codecs
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from yarl import URL

from hookline import __version__
from hookline.delivery.guard import BlockedTarget, GuardedResolver, TargetGuard, literal_address
from hookline.domain.outcome import AttemptResult
from hookline.domain.retry import parse_retry_after

RESPONSE_EXCERPT_BYTES = 4096
ERROR_MAX_CHARS = 500
"""The length of `webhook_attempts.error`; PostgreSQL refuses longer values."""
USER_AGENT = f"hookline/{__version__}"


@dataclass(frozen=True, slots=True)
class Sent:
    result: AttemptResult
    response_body: str | None
    duration_ms: int


class Sender:
    """A pooled aiohttp client: no redirects, a total timeout per attempt, the SSRF guard."""

    def __init__(self, *, timeout: timedelta, guard: TargetGuard, max_connections: int = 256) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout.total_seconds())
        self._guard = guard
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._url_refusals: dict[str, str | None] = {}

    async def __aenter__(self) -> Sender:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            resolver=GuardedResolver(self._guard),
            ttl_dns_cache=None,  # every attempt re-checks what the name resolves to now
            use_dns_cache=False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            auto_decompress=True,
            headers={"User-Agent": USER_AGENT},
            skip_auto_headers=("Accept-Encoding",),
            # Never store cookies: one target's cookies must not ride along to another tenant's.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(self, url: str, headers: dict[str, str], body: bytes, *, now: datetime) -> Sent:
        """Send once; `now` dates a `Retry-After` given as an HTTP date."""
        if self._session is None:
            raise RuntimeError("use `async with Sender(...)` before sending")
        started = time.perf_counter()
        try:
            self._check_url(url)
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                excerpt = await read_excerpt(response.content)
                result = AttemptResult(
                    status=response.status,
                    error=_redirect_error(response),
                    retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
                )
                return Sent(result, decode_excerpt(excerpt), _elapsed_ms(started))
        except BlockedTarget as error:
            failure = AttemptResult(None, fit_error(f"blocked target: {error}"), blocked=True)
        except Exception as error:
            failure = AttemptResult(None, fit_error(describe_failure(error)))
        return Sent(failure, None, _elapsed_ms(started))

    def _check_url(self, url: str) -> None:
        """The scheme (HOOKLINE_REQUIRE_HTTPS), and IP literals, which aiohttp does not resolve
        (memoized)."""
        if url not in self._url_refusals:
            if len(self._url_refusals) > 10_000:
                self._url_refusals.clear()
            self._url_refusals[url] = _refusal(self._guard, url)
        refusal = self._url_refusals[url]
        if refusal is not None:
            raise BlockedTarget(refusal)


def _refusal(guard: TargetGuard, url: str) -> str | None:
    address = literal_address(URL(url).raw_host or "")
    try:
        guard.check_scheme(url)
        if address is not None:
            guard.check(str(address))
    except BlockedTarget as error:
        return str(error)
    return None


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


async def read_excerpt(content: aiohttp.StreamReader) -> bytes:
    """Up to RESPONSE_EXCERPT_BYTES of the body; `read(n)` alone stops at the first chunk.

    A body that stalls or breaks off after the status line keeps what arrived: the status
    decides the attempt, the excerpt only documents it.
    """
    excerpt = bytearray()
    try:
        while len(excerpt) < RESPONSE_EXCERPT_BYTES:
            chunk = await content.read(RESPONSE_EXCERPT_BYTES - len(excerpt))
            if not chunk:
                break
            excerpt += chunk
    except (TimeoutError, aiohttp.ClientPayloadError):
        pass
    return bytes(excerpt)


def decode_excerpt(excerpt: bytes) -> str:
    """UTF-8 text for the attempt's `responseBody`, storable in PostgreSQL `text`.

    Bad bytes become U+FFFD, so does NUL (which PostgreSQL refuses), and a character cut in
    two by the excerpt's end is dropped rather than stored as a replacement character.
    """
    cut = len(excerpt) >= RESPONSE_EXCERPT_BYTES
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(excerpt, final=not cut)
    return text.replace("\x00", "\ufffd")


def fit_error(text: str) -> str:
    """An `error` that fits its column (ERROR_MAX_CHARS); some aiohttp errors quote the whole URL."""
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


def _redirect_error(response: aiohttp.ClientResponse) -> str | None:
    """Redirects are not followed (a receiver must answer itself); say where it pointed."""
    if not 300 <= response.status < 400:
        return None
    location = response.headers.get("Location")
    return fit_error(f"redirect not followed (Location: {location})" if location else "redirect not followed")


def describe_failure(error: BaseException) -> str:
    """A short, stable name for why no HTTP response arrived, for the attempt's `error`."""
    if isinstance(error, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return f"DNS: cannot resolve {error.host}"
    if isinstance(error, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return f"TLS: {error}"
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, ConnectionRefusedError):
            return "connection refused"
        return f"connection failed: {error.os_error.strerror or error.os_error}"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "connection closed before a response"
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return f"bad response: {error}"
    if isinstance(error, aiohttp.InvalidURL):
        return f"invalid URL: {error}"
    return f"{type(error).__name__}: {error}"
