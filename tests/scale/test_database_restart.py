"""A PostgreSQL restart mid-run, on a private cluster (the shared one serves other tests): workers
wait it out and carry on, nothing is lost, group order holds, and the API answers 503
problem+json with Retry-After while the database is down, 2xx once it is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from hookline.runtime import Runtime
from tests.conftest import Receiver, eventually
from tests.delivery.conftest import Client
from tests.processes import ADMIN, free_port, hookline_env, running_hookline, until_ready
from tests.scale.conftest import (
    SHORT_LEASE,
    PrivatePostgres,
    arrivals,
    assert_group_order,
    duplicates,
    publish,
    until_delivered,
    worker_logs,
    workers,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_url(private_postgres: PrivatePostgres) -> str:
    """A fresh database on the private cluster, for the shared fixtures built on this one."""
    return asyncio.run(private_postgres.new_database())


async def test_workers_carry_on_after_a_restart_and_lose_nothing(
    private_postgres: PrivatePostgres,
    database_url: str,
    runtime: Runtime,
    client: Client,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    """Results that could not be recorded are recorded once the database is back; should an
    outage outlast a lease (here 2 s + 2 s), another worker sends the Webhook again."""
    async with workers(2, database_url, runtime, tmp_path, worker_concurrency="16", **SHORT_LEASE) as started:
        webhook_ids = await publish(client, receiver, events=400)

        async def a_third_arrived() -> bool:
            return len(receiver.requests) >= len(webhook_ids) // 3

        await eventually(a_third_arrived, "a third delivered")
        await private_postgres.ctl("restart", "-m", "fast")
        await until_delivered(runtime, len(webhook_ids))
        assert [process.returncode for process in started] == [None, None]

    received = arrivals(receiver)
    assert {a.webhook_id for a in received} == set(webhook_ids)
    assert len(duplicates(received)) <= 2 * 16, duplicates(received)  # at most what was in flight
    assert_group_order(received)
    logs = worker_logs(tmp_path)
    assert "database unavailable" in logs  # the outage was seen,
    assert "Traceback" not in logs, logs  # in one line each time, no traceback


async def test_the_api_answers_503_while_the_database_is_down_and_2xx_once_it_is_back(
    private_postgres: PrivatePostgres, database_url: str, runtime: Runtime, tmp_path: Path
) -> None:
    port = free_port()
    env = hookline_env(database_url, secret_key=str(runtime.settings.secret_key))
    admin = {"Authorization": f"Bearer {ADMIN}"}
    event = {"organizationId": "acme", "entityName": "Process", "type": 2, "entityId": "42"}
    async with (
        running_hookline("serve", "--port", str(port), "--no-worker", env=env, log=tmp_path / "serve.log"),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=admin) as api,
    ):
        await until_ready(str(api.base_url))
        assert (await api.get("/api/webhooks")).status_code == 200  # a pooled connection to lose

        await private_postgres.ctl("stop", "-m", "fast")
        try:
            answers = [
                await api.get("/readyz"),
                await api.get("/api/webhooks"),
                await api.post("/api/events", json=event),
            ]
        finally:
            await private_postgres.ctl("start")
        for answer in answers:
            assert answer.status_code == 503, (answer.request.url, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["retry-after"] == "2"

        seen: list[int] = []

        async def back() -> bool:
            seen.append((await api.post("/api/events", json=event)).status_code)
            return seen[-1] == 202

        await eventually(back, "publishing works again", timeout_s=15)
        assert set(seen) <= {503, 202}, seen
        assert (await api.get("/readyz")).status_code == 200
