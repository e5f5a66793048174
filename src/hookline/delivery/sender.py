"""The one seam to the network: POST a body, observe what came back, name what went wrong.

aiohttp's exceptions stop here; callers see an `AttemptResult` with an `error` that names
the failure (timeout, connection refused, TLS, DNS, blocked target, ...).

With an egress proxy, hookline still resolves and checks the target itself, then asks the
proxy for the checked address, not the name: the request line (or `CONNECT`) names the IP,
`Host` and TLS SNI/verification name the host. A proxy never resolves the name again, so DNS
rebinding between hookline's check and the proxy's connection cannot reach another address.
"""

from __future__ import annotations

import asyncio
import codecs
import ssl
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from yarl import URL

from hookline import __version__
from hookline.delivery.guard import BlockedTarget, GuardedResolver, TargetGuard, literal_address
from hookline.delivery.proxy import UnresolvableTarget, pin
from hookline.delivery.tls import TargetTls
from hookline.domain.outcome import AttemptResult
from hookline.domain.retry import parse_retry_after

RESPONSE_EXCERPT_BYTES = 4096
ERROR_MAX_CHARS = 500
"""The length of `webhook_attempts.error`; PostgreSQL refuses longer values."""
USER_AGENT = f"hookline/{__version__}"
RESPONSE_HEADERS_MAX = 50
RESPONSE_HEADERS_BYTES = 8192
HEADER_VALUE_MAX_CHARS = 1024
"""Bounds on the response headers kept per attempt: a target cannot fill the attempts table."""

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sent:
    result: AttemptResult
    response_body: str | None
    duration_ms: int
    request_headers: Headers
    """The headers as they went out (unmasked: see `request.masked_headers`)."""
    response_headers: dict[str, str] | None = None
    """Bounded (see `bounded_headers`); None when no response arrived."""


class Sender:
    """A pooled aiohttp client: no redirects, a total timeout per attempt, the SSRF guard."""

    def __init__(
        self,
        *,
        timeout: timedelta,
        guard: TargetGuard,
        max_connections: int = 256,
        proxy: str | None = None,
        tls: TargetTls | None = None,
    ) -> None:
        """`proxy`: the egress proxy (`http://host:port`); `tls`: which roots verify targets'
        certificates and how client certificates are presented (None: the system's roots)."""
        self._timeout = aiohttp.ClientTimeout(total=timeout.total_seconds())
        self._tls = tls or TargetTls()
        self._guard = guard
        self._max_connections = max_connections
        self._proxy = proxy
        self._target_resolver: GuardedResolver | None = None  # resolves targets for the proxy
        self._session: aiohttp.ClientSession | None = None
        self._url_refusals: dict[str, str | None] = {}

    async def __aenter__(self) -> Sender:
        if self._proxy is not None:
            self._target_resolver = GuardedResolver(self._guard)
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            ssl=self._tls.default,
            # Through a proxy the connector only ever resolves the operator's proxy; targets are
            # resolved and checked by `pin` before each attempt.
            resolver=GuardedResolver(self._guard) if self._proxy is None else None,
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
        if self._target_resolver is not None:
            await self._target_resolver.close()
            self._target_resolver = None

    async def post(
        self,
        url: str,
        headers: dict[str, str],
        body: bytes,
        *,
        now: datetime,
        client_certificate: str | None = None,
    ) -> Sent:
        """Send once; `now` dates a `Retry-After` given as an HTTP date; `client_certificate`
        (chain and key, PEM) is presented if the target asks for one."""
        if self._session is None:
            raise RuntimeError("use `async with Sender(...)` before sending")
        started = time.perf_counter()
        try:
            async with self._request(url, headers, body, client_certificate) as response:
                excerpt = await read_excerpt(response.content)
                result = AttemptResult(
                    status=response.status,
                    error=_redirect_error(response),
                    retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
                )
                return Sent(
                    result,
                    decode_excerpt(excerpt),
                    _elapsed_ms(started),
                    tuple(response.request_info.headers.items()),
                    bounded_headers(response.headers.items()),
                )
        except BlockedTarget as error:
            failure = AttemptResult(None, fit_error(f"blocked target: {error}"), blocked=True)
        except Exception as error:
            failure = AttemptResult(None, fit_error(describe_failure(error)))
        # No response: what hookline meant to send (aiohttp would have added Host and the length).
        return Sent(failure, None, _elapsed_ms(started), (("User-Agent", USER_AGENT), *headers.items()))

    async def fetch(
        self,
        url: str,
        headers: dict[str, str],
        body: bytes,
        *,
        limit: int,
        client_certificate: str | None = None,
    ) -> tuple[int, bytes]:
        """POST outside any attempt (an OAuth2 token request), with the same checks, proxy and
        TLS as an attempt: the status and up to `limit` bytes of the body. Raises what aiohttp
        raises (see `describe_failure`) and `BlockedTarget`."""
        async with self._request(url, headers, body, client_certificate) as response:
            return response.status, await read_excerpt(response.content, limit)

    @asynccontextmanager
    async def _request(
        self, url: str, headers: dict[str, str], body: bytes, client_certificate: str | None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        if self._session is None:
            raise RuntimeError("use `async with Sender(...)` before sending")
        self._check_url(url)
        server_hostname = None
        if self._target_resolver is not None:
            target = await pin(self._target_resolver, url, headers)
            url, headers, server_hostname = target.url, target.headers, target.server_hostname
        async with self._session.post(
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            proxy=self._proxy,
            server_hostname=server_hostname,
            ssl=self._tls.presenting(client_certificate) if client_certificate else self._tls.default,
        ) as response:
            yield response

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


async def read_excerpt(content: aiohttp.StreamReader, limit: int = RESPONSE_EXCERPT_BYTES) -> bytes:
    """Up to `limit` bytes of the body; `read(n)` alone stops at the first chunk.

    A body that stalls or breaks off after the status line keeps what arrived: the status
    decides the attempt, the excerpt only documents it.
    """
    excerpt = bytearray()
    try:
        while len(excerpt) < limit:
            chunk = await content.read(limit - len(excerpt))
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
    text = storable_text(text)
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


def bounded_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A response's headers as kept on its attempt: repeated names joined with ", ", values cut
    to HEADER_VALUE_MAX_CHARS, at most RESPONSE_HEADERS_MAX names and RESPONSE_HEADERS_BYTES in
    all (the rest dropped), and text every database and JSON answer can carry."""
    kept: dict[str, str] = {}
    size = 0
    for name, value in headers:
        value = storable_text(value)
        if len(value) > HEADER_VALUE_MAX_CHARS:
            value = value[: HEADER_VALUE_MAX_CHARS - 1] + "…"
        name = storable_text(name)
        if name in kept:
            value = f"{kept[name]}, {value}"[:HEADER_VALUE_MAX_CHARS]
        elif len(kept) >= RESPONSE_HEADERS_MAX:
            continue
        grown = size - len(kept.get(name, "")) + len(value) + (0 if name in kept else len(name))
        if grown > RESPONSE_HEADERS_BYTES:
            continue
        kept[name], size = value, grown
    return kept


def storable_text(text: str) -> str:
    """`text` without NUL (PostgreSQL refuses it) or lone surrogates (aiohttp decodes header
    bytes that are not UTF-8 as surrogate escapes; no JSON answer can encode them)."""
    if not text.isascii():
        try:
            raw = text.encode("utf-8", "surrogateescape")  # the bytes as they arrived
        except UnicodeEncodeError:
            raw = text.encode("utf-8", "surrogatepass")
        text = raw.decode("utf-8", "replace")
    return text.replace("\x00", "\ufffd")


def _redirect_error(response: aiohttp.ClientResponse) -> str | None:
    """Redirects are not followed (a receiver must answer itself); say where it pointed."""
    if not 300 <= response.status < 400:
        return None
    location = response.headers.get("Location")
    return fit_error(f"redirect not followed (Location: {location})" if location else "redirect not followed")


def _connection_failure(error: OSError) -> str:
    return "connection refused" if isinstance(error, ConnectionRefusedError) else str(error.strerror or error)


def describe_failure(error: BaseException) -> str:
    """A short, stable name for why no HTTP response arrived, for the attempt's `error`."""
    if isinstance(error, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientConnectorDNSError | UnresolvableTarget):
        return f"DNS: cannot resolve {error.host}"
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return f"egress proxy unreachable: {_connection_failure(error.os_error)}"
    if isinstance(error, aiohttp.ClientHttpProxyError):
        return f"egress proxy refused: {error.status} {error.message}"
    if isinstance(error, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return f"TLS: {error}"
    if isinstance(error, aiohttp.ClientOSError) and isinstance(error.__cause__, ssl.SSLError):
        return f"TLS: {error.__cause__}"  # an alert after the handshake: TLS 1.3's "certificate required"
    if isinstance(error, aiohttp.ClientConnectorError):
        failure = _connection_failure(error.os_error)
        return failure if failure == "connection refused" else f"connection failed: {failure}"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "connection closed before a response"
    if isinstance(error, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return f"bad response: {error}"
    if isinstance(error, aiohttp.InvalidURL):
        return f"invalid URL: {error}"
    return f"{type(error).__name__}: {error}"
