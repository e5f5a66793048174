"""The HTTP server: uvicorn's httptools protocol with the three bounds it lacks.

uvicorn 0.54 with httptools (as cheap per request as granian, cheaper than h11 and hypercorn:
`make bench BENCH_ARGS='--only servers'`) buffers a request's head without limit, lets a client take as long
as it likes to send a request, and accepts every connection: `h11_max_incomplete_event_size`
bounds the head for h11 only, `timeout_keep_alive` runs only between requests, and
`limit_concurrency` answers 503 to new requests while still accepting their connections. This
protocol adds, per process:

- a bounded head: once a request's line and headers exceed `max_header_bytes`, it answers 431
  and closes; bytes are counted as they arrive, so at most one socket read beyond the bound is
  ever held;
- a read deadline: a request whose head and body have not all arrived `read_timeout` after its
  first byte (or after the connection opened, for its first request) is answered 408, unless a
  response has begun, and the connection is closed; the application sees `http.disconnect`;
- a connection ceiling: a connection beyond `max_connections` is closed as soon as it is made.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hookline.config import Settings

HEADER_LINE_OVERHEAD = 4
"""`: ` and CRLF around each header's name and value."""


@dataclass(frozen=True)
class RequestLimits:
    max_header_bytes: int
    read_timeout: timedelta
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> RequestLimits:
        return cls(settings.max_header_bytes, settings.request_read_timeout, settings.max_connections)


def _refusal(status: HTTPStatus, detail: str) -> bytes:
    """A complete problem+json response that also closes the connection."""
    body = json.dumps(
        {"type": "about:blank", "title": status.phrase, "status": status.value, "detail": detail}
    )
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-type: application/problem+json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return (head + body).encode()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """One connection; `limits` is set on the subclass `bounded_protocol` makes."""

    limits: ClassVar[RequestLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_pending = True  # the current request's head has not all arrived
        self._head_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refused = True
            transport.abort()
            return
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._head_pending:
            # May count a few bytes of the body that follow the head in this read: the exact
            # size is checked once the head is complete, so only a head still open is refused.
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_pending and self._head_bytes > self.limits.max_header_bytes:
            self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, self._too_large)

    def on_message_begin(self) -> None:
        self._start_deadline()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._head_pending = False
        self._head_bytes = 0
        size = len(self.url) + sum(len(n) + len(v) + HEADER_LINE_OVERHEAD for n, v in self.headers)
        if size > self.limits.max_header_bytes:
            self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, self._too_large)
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._stop_deadline()
        self._head_pending = True
        self._head_bytes = 0
        if not self._refused:
            super().on_message_complete()

    @property
    def _too_large(self) -> str:
        return f"the request line and headers exceed {self.limits.max_header_bytes} bytes"

    def _start_deadline(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.limits.read_timeout.total_seconds(), self._on_deadline)

    def _stop_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _on_deadline(self) -> None:
        self._deadline = None
        seconds = self.limits.read_timeout.total_seconds()
        self._refuse(HTTPStatus.REQUEST_TIMEOUT, f"the request did not arrive in full within {seconds:g} s")

    def _refuse(self, status: HTTPStatus, detail: str) -> None:
        """Answer `status` unless a response has begun, then close; the app sees a disconnect."""
        self._refused = True
        self._stop_deadline()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            self.transport.write(_refusal(status, detail))
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()


def bounded_protocol(limits: RequestLimits) -> type[BoundedHttpToolsProtocol]:
    """The protocol class uvicorn instantiates per connection, carrying `limits`."""
    return type("BoundedHttpToolsProtocol", (BoundedHttpToolsProtocol,), {"limits": limits})


def serve(app: Any, *, host: str, port: int, settings: Settings) -> None:
    """Run `app` as `hookline serve` does, with the request limits of `settings`."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
        http=bounded_protocol(RequestLimits.of(settings)),
    )
