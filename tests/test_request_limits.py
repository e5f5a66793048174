"""Bounded requests, against a real `hookline serve` over real sockets.

A head over HOOKLINE_MAX_HEADER_BYTES is refused before it is buffered, a client that has not
sent its whole request within HOOKLINE_REQUEST_READ_TIMEOUT is disconnected, a connection over
HOOKLINE_MAX_CONNECTIONS is closed at once, and one key's rate holds across connections (its
429 held for HOOKLINE_THROTTLE_DELAY). Every
wait is on the socket itself, bounded by a deadline; none stands in for the server's clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.processes import ADMIN, free_port, hookline_env, running_hookline, until_ready

READ_TIMEOUT_S = 1.0
MAX_CONNECTIONS = 4


class Server:
    def __init__(self, port: int, pid: int) -> None:
        self.port = port
        self.pid = pid
        self.writers: list[asyncio.StreamWriter] = []

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A new connection, closed at the end of the test at the latest."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writers.append(writer)
        return reader, writer

    async def close_connections(self) -> None:
        for writer in self.writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


@contextlib.asynccontextmanager
async def serving(database_url: str, tmp_path: Path, **variables: str) -> AsyncIterator[Server]:
    port = free_port()
    env = hookline_env(database_url, **variables)
    log = tmp_path / "serve.log"
    async with running_hookline("serve", "--port", str(port), "--no-worker", env=env, log=log) as process:
        await until_ready(f"http://127.0.0.1:{port}")
        server = Server(port, process.pid)
        try:
            yield server
        finally:
            await server.close_connections()


@pytest.fixture
async def server(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    async with serving(database_url, tmp_path, request_read_timeout=f"{READ_TIMEOUT_S:g}s") as running:
        yield running


async def read_until_closed(reader: asyncio.StreamReader, deadline_s: float) -> bytes:
    """Everything the server sends until it closes the connection; fails after `deadline_s`."""
    received = b""
    try:
        async with asyncio.timeout(deadline_s):
            while chunk := await reader.read(65536):
                received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {deadline_s} s; received {received[:200]!r}")
    return received


def request(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: hookline.test", *headers, f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def exchange(server: Server, raw: bytes, writer_reader: Any = None) -> tuple[int, bytes]:
    """Send one request on a connection (a new one unless given) and read its answer's status."""
    reader, writer = writer_reader or await server.connect()
    writer.write(raw)
    await writer.drain()
    async with asyncio.timeout(10):
        status_line = await reader.readline()
        headers = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in headers.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    body = await reader.readexactly(length)
    return int(status_line.split()[1]), body


async def test_a_200_mb_header_is_refused_quickly_without_memory_growth(server: Server) -> None:
    rss_before = server.rss_bytes()
    reader, writer = await server.connect()
    megabyte = b"a" * (1 << 20)
    started = time.monotonic()
    sent = 0
    with contextlib.suppress(ConnectionError):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: hookline.test\r\nX-Huge: ")
        while sent < 200 * (1 << 20):
            writer.write(megabyte)
            await asyncio.wait_for(writer.drain(), 10)
            sent += len(megabyte)
    answer = await read_until_closed(reader, 10)
    elapsed = time.monotonic() - started

    assert sent < 200 * (1 << 20), "the server read a 200 MB header to its end"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 "), answer[:100]
    assert elapsed < 5
    assert server.rss_bytes() - rss_before < 20 * (1 << 20)
    status, _ = await exchange(server, request("GET", "/healthz"))
    assert status == 200


async def test_a_head_just_over_the_bound_is_431_and_one_just_under_is_served(server: Server) -> None:
    """16 KiB in all: a head whose one header fills the bound is refused even in one read."""
    status, body = await exchange(server, request("GET", "/healthz", "X-Pad: " + "p" * 16 * 1024))
    assert status == 431
    assert b'"status": 431' in body
    status, _ = await exchange(server, request("GET", "/healthz", "X-Pad: " + "p" * 15 * 1024))
    assert status == 200


async def test_a_slowloris_head_is_disconnected_after_the_read_timeout(server: Server) -> None:
    started = time.monotonic()
    reader, writer = await server.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: hookline.test\r\n")
    answer = b""
    for number in range(100):  # one more header line whenever the socket stays quiet for 0.2 s
        try:
            answer = await asyncio.wait_for(reader.read(65536), 0.2)
            break
        except TimeoutError:
            writer.write(f"X-Slow-{number}: 1\r\n".encode())
    answer += await read_until_closed(reader, 5)
    elapsed = time.monotonic() - started

    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert READ_TIMEOUT_S <= elapsed < READ_TIMEOUT_S + 3


async def test_a_stalled_body_is_disconnected_after_the_read_timeout(server: Server) -> None:
    started = time.monotonic()
    reader, writer = await server.connect()
    head = request("POST", "/api/events", f"Authorization: Bearer {ADMIN}", "Content-Type: application/json")
    writer.write(head.replace(b"Content-Length: 0", b"Content-Length: 100") + b"{")
    answer = await read_until_closed(reader, READ_TIMEOUT_S + 5)
    elapsed = time.monotonic() - started

    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert READ_TIMEOUT_S <= elapsed < READ_TIMEOUT_S + 3
    status, body = await exchange(server, request("GET", "/api/webhooks", f"Authorization: Bearer {ADMIN}"))
    assert (status, b'"totalCount":0' in body) == (200, True)


async def test_an_idle_connection_that_sends_nothing_is_closed_after_the_read_timeout(server: Server) -> None:
    started = time.monotonic()
    reader, _ = await server.connect()
    answer = await read_until_closed(reader, READ_TIMEOUT_S + 5)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert READ_TIMEOUT_S <= time.monotonic() - started < READ_TIMEOUT_S + 3


async def test_one_keys_rate_holds_across_connections_and_its_429_is_held(
    database_url: str, tmp_path: Path
) -> None:
    """HOOKLINE_RATE_LIMIT=0.2: one request, then none for 5 s, whichever connection asks; the
    429 comes after HOOKLINE_THROTTLE_DELAY."""
    async with serving(database_url, tmp_path, rate_limit="0.2", throttle_delay="1s") as server:
        entities = request("GET", "/api/entities", f"Authorization: Bearer {ADMIN}")
        first, _ = await exchange(server, entities)
        started = time.monotonic()
        second, body = await exchange(server, entities)
        held_s = time.monotonic() - started
    assert (first, second) == (200, 429), body
    assert 1.0 <= held_s < 4


async def test_the_connection_ceiling_holds(database_url: str, tmp_path: Path) -> None:
    async with serving(database_url, tmp_path, max_connections=str(MAX_CONNECTIONS)) as server:
        healthz = request("GET", "/healthz")
        kept = [await server.connect() for _ in range(MAX_CONNECTIONS)]
        for connection in kept:  # each one is served and stays open (keep-alive)
            assert (await exchange(server, healthz, connection))[0] == 200

        closing = request("GET", "/healthz", "Connection: close")
        reader, writer = await server.connect()
        writer.write(closing)
        assert await read_until_closed(reader, 5) == b""

        kept[0][1].close()
        await kept[0][1].wait_closed()
        deadline = time.monotonic() + 10
        while True:  # served again once the server has seen the close
            reader, writer = await server.connect()
            writer.write(closing)
            answer = await read_until_closed(reader, 5)
            if answer or time.monotonic() > deadline:
                break
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert (await exchange(server, healthz, kept[1]))[0] == 200
