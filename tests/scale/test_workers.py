"""Four `hookline worker` processes share one PostgreSQL database: every Webhook is delivered
exactly once and in group order; a worker killed mid-run costs at most its in-flight attempts."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from hookline.runtime import Runtime
from tests.conftest import Receiver, eventually
from tests.delivery.conftest import Client
from tests.scale.conftest import (
    SHORT_LEASE,
    arrivals,
    assert_group_order,
    duplicates,
    publish,
    until_delivered,
    workers,
)

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


async def test_four_workers_deliver_each_webhook_exactly_once_in_group_order(
    database_url: str, runtime: Runtime, client: Client, receiver: Receiver, tmp_path: Path
) -> None:
    async with workers(4, database_url, runtime, tmp_path, worker_concurrency="32"):
        webhook_ids = await publish(client, receiver, events=1200)
        await until_delivered(runtime, len(webhook_ids))

    received = arrivals(receiver)
    assert len(webhook_ids) == 2400
    assert duplicates(received) == {}
    assert sorted(a.webhook_id for a in received) == sorted(webhook_ids)
    assert_group_order(received)


async def test_a_worker_killed_mid_run_loses_nothing_and_repeats_at_most_its_in_flight(
    database_url: str, runtime: Runtime, client: Client, receiver: Receiver, tmp_path: Path
) -> None:
    """The short lease (2 s timeout + 2 s margin) is what the killed worker's claims wait out."""
    concurrency = 8
    async with workers(
        3,
        database_url,
        runtime,
        tmp_path,
        worker_concurrency=str(concurrency),
        **SHORT_LEASE,
    ) as started:
        webhook_ids = await publish(client, receiver, events=450)

        async def a_quarter_arrived() -> bool:
            return len(receiver.requests) >= len(webhook_ids) // 4

        await eventually(a_quarter_arrived, "a quarter delivered")
        started[0].send_signal(signal.SIGKILL)
        await until_delivered(runtime, len(webhook_ids))
        assert [process.returncode for process in started[1:]] == [None, None]

    received = arrivals(receiver)
    assert {a.webhook_id for a in received} == set(webhook_ids)
    assert len(duplicates(received)) <= concurrency, duplicates(received)
    assert_group_order(received)
