"""Leases: one claim at a time, stale results discarded, manual changes while in flight kept, and
nothing lost when recording fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

import pytest

from hookline.clock import FrozenClock
from hookline.delivery.delivery_store import Decide, DeliveryStore, DeliveryTransaction
from hookline.delivery.dispatch import Dispatched
from hookline.delivery.worker import WorkerOptions
from hookline.domain.errors import DatabaseUnavailable
from hookline.domain.recording import Recording
from hookline.runtime import Runtime
from hookline.store.webhooks import Claim
from tests.conftest import Reply, eventually
from tests.delivery.conftest import Client, LiveReceiver, running, worker_for

CREATED, RETRYING, SUCCESSFUL, FAILED, ABORTED, PENDING, RESOLVED = 1, 2, 3, 4, 5, 6, 7
ONE_AT_A_TIME = WorkerOptions(concurrency=1, max_poll_s=3600)


class FailingOnce(DeliveryStore):
    """The runtime's store, except that its first recording (or claim) raises `error` after doing
    its work, inside the transaction: it rolls back, as when the connection drops before the
    commit. By default it raises what a dropped connection raises, which the store's edge
    translates into DatabaseUnavailable."""

    def __init__(
        self, runtime: Runtime, step: Literal["record", "claim"], error: Exception | None = None
    ) -> None:
        super().__init__(runtime.db, runtime.health)
        self.step = step
        self.error = error or ConnectionResetError("database connection lost (injected)")
        self.failed = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DeliveryTransaction]:
        async with super().transaction() as tx:
            yield _Failing(tx, self)

    def fail_if_first(self, step: str) -> None:
        if step == self.step and not self.failed.is_set():
            self.failed.set()
            raise self.error


class _Failing(DeliveryTransaction):
    def __init__(self, real: DeliveryTransaction, store: FailingOnce) -> None:
        self._real = real
        self._store = store

    async def record(self, batch: Sequence[Dispatched], decide: Decide, now: datetime) -> Recording:
        recording = await self._real.record(batch, decide, now)
        self._store.fail_if_first("record")
        return recording

    async def claim(self, **request: Any) -> Claim:
        claim = await self._real.claim(**request)
        self._store.fail_if_first("claim")
        return claim


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
) -> None:
    failing = worker_for(runtime, store=FailingOnce(runtime, "record"))
    await client.register(receiver.url())
    webhook_id = await client.publish_one()

    with pytest.raises(DatabaseUnavailable):  # the store's edge translated the driver's error
        await failing.deliver_due()

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
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The attempt is kept and recorded after a back-off: not sent again when its lease expires."""
    store = FailingOnce(runtime, "record")
    await client.register(receiver.url())
    async with running(worker_for(runtime, store=store)):
        webhook_id = await client.publish_one()
        await eventually(lambda: _is_successful(client, webhook_id), "recorded after the failure")

    assert store.failed.is_set()
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
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug, not an outage: the batch is given up, its leases expire, and it is sent again."""
    store = FailingOnce(runtime, "record", ValueError("a bug (injected)"))
    await client.register(receiver.url())
    async with running(worker_for(runtime, store=store)):
        webhook_id = await client.publish_one()
        await asyncio.wait_for(store.failed.wait(), 15)
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
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FailingOnce(runtime, "claim")
    await client.register(receiver.url())
    async with running(worker_for(runtime, store=store)) as task:
        await asyncio.wait_for(store.failed.wait(), 15)
        webhook_id = await client.publish_one()  # rings the worker, which must still be there
        await receiver.wait_for_requests(1)
        assert not task.done()

    assert "claiming due webhooks failed" in caplog.text
    assert await client.states(webhook_id) == [SUCCESSFUL]
