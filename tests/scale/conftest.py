"""Several real `hookline worker` processes on one PostgreSQL database, a loopback receiver that
records every arrival in order, and a private PostgreSQL cluster a test may stop and restart
(never the shared one: other tests run against it in parallel).

PostgreSQL only: these tests skip without it, and fail instead when HOOKLINE_REQUIRE_POSTGRES=1.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from hookline.domain.enums import WebhookState
from hookline.domain.errors import DatabaseUnavailable
from hookline.runtime import Runtime
from hookline.store.webhooks import count_by_state
from tests.conftest import REQUIRE_POSTGRES, Receiver, eventually
from tests.delivery.conftest import Client, client  # noqa: F401 (the fixture, shared)
from tests.processes import free_port, hookline_env, running_hookline

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
GROUPED, UNGROUPED = "/grouped", "/ungrouped"
GROUPS = 40
SHORT_LEASE = {"delivery_timeout": "2s", "lease_margin": "2s", "retry_schedule": "200ms,200ms,200ms"}
"""Settings for workers whose claims must come back within seconds (a lease of 4 s); should a
loaded machine time an attempt out, its retry comes in 200 ms, not 5 minutes."""


@dataclass(frozen=True)
class Arrival:
    webhook_id: str
    path: str
    group: str
    n: int


def arrivals(receiver: Receiver) -> list[Arrival]:
    """Every request the receiver got, in arrival order."""
    found = []
    for request in receiver.requests:
        data = json.loads(request.body)["data"]
        found.append(Arrival(request.headers["webhook-id"], request.path, data["group"], data["n"]))
    return found


def assert_group_order(received: list[Arrival]) -> None:
    """Within every group of a grouping registration, arrivals follow publish order: a Webhook
    may arrive again (at least once), but never after a later one of its group."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for arrival in received:
        if arrival.path == GROUPED:
            by_group[arrival.group].append(arrival.n)
    assert len(by_group) == GROUPS
    for group, order in by_group.items():
        assert order == sorted(order), (group, order)


def duplicates(received: list[Arrival]) -> dict[str, int]:
    return {
        webhook_id: count
        for webhook_id, count in Counter(a.webhook_id for a in received).items()
        if count > 1
    }


async def publish(as_admin: Client, receiver: Receiver, events: int) -> list[str]:
    """Register a grouping and a non-grouping target, then publish `events` events in batches:
    two Webhooks each, the grouped ones spread over GROUPS groups. Returns every Webhook id."""
    await as_admin.register(receiver.url(GROUPED), shouldGroup=True)
    await as_admin.register(receiver.url(UNGROUPED))
    webhook_ids: list[str] = []
    for start in range(0, events, 250):
        batch = [
            {
                "organizationId": "acme",
                "entityName": "Process",
                "type": 2,
                "entityId": str(n),
                "groupKey": f"g{n % GROUPS}",
                "data": {"group": f"g{n % GROUPS}", "n": n},
            }
            for n in range(start, min(start + 250, events))
        ]
        answer = await as_admin.http.post(
            "/api/events/batch", headers=as_admin.headers, json={"events": batch}
        )
        assert answer.status_code == 202, answer.text
        webhook_ids += [i for item in answer.json()["items"] for i in item["webhookIds"]]
    return webhook_ids


async def all_successful(runtime: Runtime, total: int) -> bool:
    """Whether `total` Webhooks are Successful; False while the database is unreachable."""
    try:
        async with runtime.db.read() as conn:
            states = await count_by_state(conn, None)
    except DatabaseUnavailable:
        return False
    assert sum(states.values()) == total
    return states.get(WebhookState.SUCCESSFUL) == total


async def until_delivered(runtime: Runtime, total: int, timeout_s: float = 60) -> None:
    await eventually(lambda: all_successful(runtime, total), f"all {total} Webhooks Successful", timeout_s)


@asynccontextmanager
async def workers(
    count: int, database_url: str, runtime: Runtime, logs: Path, **variables: str
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """`count` `hookline worker` processes, each delivering (it said so) when the block starts."""
    env = hookline_env(database_url, secret_key=str(runtime.settings.secret_key), **variables)
    async with AsyncExitStack() as stack:
        started = [
            await stack.enter_async_context(running_hookline("worker", env=env, log=logs / f"worker{i}.log"))
            for i in range(count)
        ]
        for i in range(count):
            log = logs / f"worker{i}.log"
            await eventually(
                lambda log=log: _says(log, "hookline worker delivering"), f"worker {i} started", timeout_s=30
            )
        yield started


def worker_logs(folder: Path) -> str:
    """What every worker started in `folder` wrote to stderr."""
    return "".join(log.read_text() for log in sorted(folder.glob("worker*.log")))


async def _says(log: Path, text: str) -> bool:
    return text in log.read_text()  # noqa: ASYNC240 (a few lines of a local file)


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster of this test session's own, on a free port."""

    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    async def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-o", options]
        command += ["-l", str(self.root / "server.log"), "-w", *args]
        process = await asyncio.create_subprocess_exec(
            *_as_postgres(command), stdout=asyncio.subprocess.DEVNULL
        )
        assert await asyncio.wait_for(process.wait(), 60) == 0, f"pg_ctl {' '.join(args)} failed"

    async def new_database(self) -> str:
        name = f"hookline_{uuid.uuid4().hex[:12]}"
        connection = await asyncpg.connect(self.url, timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return self.url.rsplit("/", 1)[0] + f"/{name}"


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root; as root, run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (POSTGRES_BIN / "initdb").exists():
        message = f"no PostgreSQL server binaries in {POSTGRES_BIN} for a private cluster"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="hookline-pg-"))
    if os.getuid() == 0:
        shutil.chown(root, "postgres")
    cluster = PrivatePostgres(root, free_port())
    initdb = [
        str(POSTGRES_BIN / "initdb"),
        "-D",
        str(root / "data"),
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
    ]
    try:
        asyncio.run(_initdb_and_start(cluster, initdb))
        yield cluster
    finally:
        if (root / "data" / "postmaster.pid").exists():
            asyncio.run(cluster.ctl("stop", "-m", "immediate"))
        shutil.rmtree(root, ignore_errors=True)


async def _initdb_and_start(cluster: PrivatePostgres, initdb: list[str]) -> None:
    process = await asyncio.create_subprocess_exec(*_as_postgres(initdb), stdout=asyncio.subprocess.DEVNULL)
    assert await process.wait() == 0, "initdb failed"
    await cluster.ctl("start")
