"""Leases: one claim at a time, stale results discarded, manual changes while in flight kept, and
nothing lost when recording fails."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from hookline.clock import FrozenClock
from hookline.delivery import worker as worker_module
from hookline.delivery.worker import WorkerOptions
from hookline.domain.errors import DatabaseUnavailable
from hookline.runtime import Runtime
from tests.conftest import Reply, eventually
from tests.delivery.conftest import Client, LiveReceiver, running, worker_for

CREATED, RETRYING, SUCCESSFUL, FAILED, ABORTED, PENDING, RESOLVED = 1, 2, 3, 4, 5, 6, 7
ONE_AT_A_TIME = WorkerOptions(concurrency=1, max_poll_s=3600)


def failing_once(
    real: Callable[..., Any], failed: asyncio.Event, error: Exception | None = None
) -> Callable[..., Any]:
    """`real`, except that its first call raises `error`, by default what a dropped database
    connection raises."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not failed.is_set():
            failed.set()
            raise error or ConnectionResetError("database connection lost (injected)")
        return await real(*args, **kwargs)

    return wrapper


async def test_a_claim_holds_until_its_lease_expires_and_a_late_result_is_discarded(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lease = runtime.settings.lease
    await client.register(receiver.url())
    gate = receiver.hold()
    slow = worker_for(runtime, ONE_AT_A_TIME)
    async with running(slow):
        webhook_id = await client.publish_one()
        await receiver.wait_for_requests(1)  # `slow` holds the claim, its request in flight

        assert await runtime.worker.deliver_due() == 0
        clock.advance(lease - timedelta(microseconds=1))
        assert await runtime.worker.deliver_due() == 0
        clock.advance(timedelta(microseconds=1))
        assert await runtime.worker.deliver_due() == 1  # taken over: the lease has expired

        assert await client.states(webhook_id) == [SUCCESSFUL]
        receiver.default = Reply(status=500)  # what `slow` hears; recorded, it would mean Retrying
        gate.set()
    # `slow` has stopped, so its late result went through its recorder.

    assert receiver.ids() == [webhook_id, webhook_id]
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"]) == (SUCCESSFUL, 1)
    [attempt] = await client.attempts(webhook_id)
    assert (attempt["attemptNumber"], attempt["responseStatus"]) == (1, 200)
    assert f"lease on {webhook_id} expired before its result was recorded" in caplog.text


@pytest.mark.parametrize(
    ("action", "status", "settled"),
    [("abort", 200, ABORTED), ("abort", 500, ABORTED), ("resolve", 500, RESOLVED)],
)
async def test_a_manual_change_while_in_flight_wins_and_the_attempt_is_kept(
    client: Client, runtime: Runtime, receiver: LiveReceiver, action: str, status: int, settled: int
) -> None:
    await client.register(receiver.url())
    gate = receiver.hold()
    receiver.default = Reply(status=status)
    async with running(worker_for(runtime, ONE_AT_A_TIME)):
        webhook_id = await client.publish_one()
        await receiver.wait_for_requests(1)
        assert (await client.act(webhook_id, action))["state"] == settled
        gate.set()

    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"], webhook["nextAttemptAt"]) == (settled, 1, None)
    [attempt] = await client.attempts(webhook_id)
    assert (attempt["responseStatus"], attempt["succeeded"]) == (status, status == 200)
    assert await runtime.worker.deliver_due() == 0


async def test_a_failed_recording_loses_nothing(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed = asyncio.Event()
    monkeypatch.setattr(worker_module, "store_results", failing_once(worker_module.store_results, failed))
    await client.register(receiver.url())
    webhook_id = await client.publish_one()

    with pytest.raises(DatabaseUnavailable):  # the store's edge translated the driver's error
        await runtime.worker.deliver_due()

    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"]) == (CREATED, 0)
    assert await client.attempts(webhook_id) == []  # the attempt went with its transaction
    clock.advance(runtime.settings.lease - timedelta(microseconds=1))
    assert await runtime.worker.deliver_due() == 0
    clock.advance(timedelta(microseconds=1))
    assert await runtime.worker.deliver_due() == 1
    assert receiver.ids() == [webhook_id, webhook_id]
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"]) == (SUCCESSFUL, 1)
    assert len(await client.attempts(webhook_id)) == 1


async def test_the_run_loop_records_again_once_the_database_is_back(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The attempt is kept and recorded after a back-off: not sent again when its lease expires."""
    failed = asyncio.Event()
    monkeypatch.setattr(worker_module, "insert_attempts", failing_once(worker_module.insert_attempts, failed))
    await client.register(receiver.url())
    async with running(worker_for(runtime)):
        webhook_id = await client.publish_one()
        await eventually(lambda: _is_successful(client, webhook_id), "recorded after the failure")

    assert failed.is_set()
    assert "recording 1 attempts failed: database unavailable" in caplog.text
    assert receiver.ids() == [webhook_id]
    assert len(await client.attempts(webhook_id)) == 1


async def _is_successful(client: Client, webhook_id: str) -> bool:
    return await client.states(webhook_id) == [SUCCESSFUL]


async def test_the_run_loop_survives_a_recording_that_fails_for_another_reason(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug, not an outage: the batch is given up, its leases expire, and it is sent again."""
    failed = asyncio.Event()
    failing = failing_once(worker_module.insert_attempts, failed, ValueError("a bug (injected)"))
    monkeypatch.setattr(worker_module, "insert_attempts", failing)
    await client.register(receiver.url())
    async with running(worker_for(runtime)):
        webhook_id = await client.publish_one()
        await asyncio.wait_for(failed.wait(), 15)
        clock.advance(runtime.settings.lease)
        runtime.db.wakeup.ring()
        await receiver.wait_for_requests(2)

    assert "recording 1 attempts failed" in caplog.text
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"]) == (SUCCESSFUL, 1)
    assert receiver.ids() == [webhook_id, webhook_id]


async def test_the_run_loop_survives_a_failed_claim(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failed = asyncio.Event()
    monkeypatch.setattr(worker_module, "claim_due", failing_once(worker_module.claim_due, failed))
    await client.register(receiver.url())
    async with running(worker_for(runtime)) as task:
        await asyncio.wait_for(failed.wait(), 15)
        webhook_id = await client.publish_one()  # rings the worker, which must still be there
        await receiver.wait_for_requests(1)
        assert not task.done()

    assert "claiming due webhooks failed" in caplog.text
    assert await client.states(webhook_id) == [SUCCESSFUL]
