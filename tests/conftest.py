"""Shared fixtures: a real database per test (SQLite file or PostgreSQL clone), a frozen clock,
the API over ASGI, and a real HTTP receiver on 127.0.0.1.

PostgreSQL tests run against HOOKLINE_TEST_POSTGRES_URL (default: the local server). They are
skipped when it is unreachable, unless HOOKLINE_REQUIRE_POSTGRES=1 (as in CI): then they fail.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from aiohttp import web
from sqlalchemy.engine import make_url

from hookline.api.app import create_app
from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.enums import Role
from hookline.runtime import Runtime
from hookline.store.db import Database

POSTGRES_URL = os.environ.get("HOOKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("HOOKLINE_REQUIRE_POSTGRES") == "1"
ADMIN_KEY = "hl_admin_key_for_tests_only"
START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin_dsn() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _require_postgres() -> None:
    """Skip the test when PostgreSQL is unreachable; fail it instead under HOOKLINE_REQUIRE_POSTGRES."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL unreachable at {POSTGRES_URL}: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_template(worker_id: str) -> Iterator[str]:
    """A migrated template database; each test clones it (fast) instead of migrating.

    A clone, not one database emptied between tests: a clone also starts with no planner
    statistics, which the plan tests depend on (TRUNCATE keeps what earlier tests left)."""
    _require_postgres()
    name = f"hookline_template_{worker_id}_{uuid.uuid4().hex[:8]}"  # concurrent runs must not share

    async def build() -> None:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _admin(f'CREATE DATABASE "{name}"')
        db = Database(_with_database(POSTGRES_URL, name))
        try:
            await db.migrate()
        finally:
            await db.close()

    asyncio.run(build())
    yield name
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test copies it: migrating from nothing costs about 0.3 s,
    finding the copy at the head revision 0.02 s (test_migrations still starts from nothing)."""
    path = tmp_path_factory.mktemp("template") / "hookline.db"

    async def build() -> None:
        db = Database(f"sqlite:///{path}")
        try:
            await db.migrate()
        finally:
            await db.close()  # the last connection's close checkpoints the WAL into the file

    asyncio.run(build())
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest revision for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "hookline.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with _postgres_database(template=request.getfixturevalue("postgres_template")) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with no schema at all, on each backend: for the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hookline.db'}"
        return
    _require_postgres()
    with _postgres_database(template=None) as url:
        yield url


@contextmanager
def _postgres_database(*, template: str | None) -> Iterator[str]:
    name = f"hookline_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield _with_database(POSTGRES_URL, name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Any) -> Settings:
    return Settings(
        database_url=database_url,
        admin_key=ADMIN_KEY,
        secret_key="test-secret-key",
        secret_key_file=tmp_path / "secret.key",
        allowed_target_networks=(ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")),
        # A held 429 sleeps in real time while rate buckets refill only by the frozen clock: a test
        # past a bucket would crawl. The hold is tested against a real `serve` (test_request_limits).
        throttle_delay=timedelta(0),
    )


@pytest.fixture
async def runtime(settings: Settings, clock: FrozenClock) -> AsyncIterator[Runtime]:
    """Everything wired as in `hookline serve`, with the worker driven by the test."""
    built = Runtime(settings, clock)
    await built.start(run_worker=False)
    try:
        yield built
    finally:
        await built.stop()


@asynccontextmanager
async def asgi_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP API of `runtime`, in-process; 5xx answers stay answers, so tests can see them."""
    transport = httpx.ASGITransport(app=create_app(runtime, run_worker=False), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hookline.test") as client:
        yield client


@asynccontextmanager
async def another_api_process(
    settings: Settings, clock: FrozenClock, **overrides: Any
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """A second API process on the same database, with some settings changed."""
    runtime = Runtime(replace(settings, **overrides), clock)
    await runtime.start(run_worker=False)
    try:
        async with asgi_client(runtime) as client:
            yield runtime, client
    finally:
        await runtime.stop()


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP API in-process, unauthenticated; see `admin`, `subscriber`, `publisher`."""
    async with asgi_client(runtime) as client:
        yield client


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 30.0) -> None:
    """Wait until `check()` is true, asking again every 50 ms; fail naming `what` after `timeout_s`.

    For conditions another process or task brings about (a row's state, a process's exit):
    the deadline bounds the wait, it never stands in for the condition.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.05)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer(ADMIN_KEY)


async def make_key(runtime: Runtime, organization: str, role: str) -> dict[str, str]:
    _, key = await runtime.hookline.create_api_key(
        organization, Role.parse(role), f"{role} of {organization}"
    )
    return bearer(key)


@pytest.fixture
async def subscriber(runtime: Runtime) -> dict[str, str]:
    return await make_key(runtime, "acme", "subscriber")


@pytest.fixture
async def publisher(runtime: Runtime) -> dict[str, str]:
    return await make_key(runtime, "acme", "publisher")


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


class Receiver:
    """A real HTTP server on 127.0.0.1 that records requests and answers as scripted."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self.base_url = ""
        self._arrived = asyncio.Condition()

    def url(self, path: str = "/hook") -> str:
        return f"{self.base_url}{path}"

    def reply(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order, then with `default`."""
        self.replies.extend(replies)

    async def wait_for_requests(self, count: int, timeout_s: float = 30) -> list[Received]:
        """Wait (in real time, for real processes) until `count` requests have arrived."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.requests) >= count), timeout_s)
        return self.requests

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Received(request.method, request.path_qs, dict(request.headers), body))
        async with self._arrived:
            self._arrived.notify_all()
        reply = self.replies.pop(0) if self.replies else self.default
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)  # a slow target, to provoke the client timeout
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)


ServedReceiver = TypeVar("ServedReceiver", bound=Receiver)


@asynccontextmanager
async def serving(target: ServedReceiver) -> AsyncIterator[ServedReceiver]:
    """Serve `target` over real HTTP on 127.0.0.1, on a free port, while the block runs."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", target.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    target.base_url = f"http://127.0.0.1:{port}"
    try:
        yield target
    finally:
        await runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with serving(Receiver()) as target:
        yield target
