"""The real run loop: woken by a publish in the same process, or across processes by PostgreSQL
LISTEN/NOTIFY, and stopped gracefully with an attempt still in flight.

The workers here never poll within a test's lifetime (NO_POLL), so a delivery proves the wake-up.
"""

from __future__ import annotations

import asyncio

import pytest

from hookline.clock import FrozenClock, SystemClock
from hookline.runtime import Runtime
from hookline.store.wakeup import Wakeup
from tests.delivery.conftest import NO_POLL, Client, LiveReceiver, StackFactory

SUCCESSFUL = 3


class WatchedWakeup(Wakeup):
    """A doorbell that also tells the test it was rung."""

    def __init__(self) -> None:
        super().__init__()
        self.rung = asyncio.Event()

    def ring(self) -> None:
        super().ring()
        self.rung.set()


async def stop_while_in_flight(runtime: Runtime, gate: asyncio.Event) -> None:
    """Ask the worker to stop while its request is held, then let the request finish."""
    runtime.worker.stop()
    gate.set()
    await asyncio.wait_for(runtime.stop(), 15)


async def test_a_published_event_wakes_the_worker_in_the_same_process(
    make_stack: StackFactory, client: Client, receiver: LiveReceiver
) -> None:
    stack = await make_stack(SystemClock(), run_worker=True, worker_options=NO_POLL)
    await stack.client.register(receiver.url())
    gate = receiver.hold()

    webhook_id = await stack.client.publish_one()
    await receiver.wait_for_requests(1)
    await stop_while_in_flight(stack.runtime, gate)

    assert receiver.ids() == [webhook_id]
    webhook = await client.webhook(webhook_id)  # read by another runtime: the first one is closed
    assert (webhook["state"], webhook["attemptCount"]) == (SUCCESSFUL, 1)
    [attempt] = await client.attempts(webhook_id)
    assert attempt["succeeded"] is True


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_notify_wakes_a_worker_in_another_process(
    make_stack: StackFactory, runtime: Runtime, client: Client, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    """The publisher's runtime has no worker; the other one hears of the event only by NOTIFY."""
    wakeup = WatchedWakeup()
    other = await make_stack(clock, run_worker=True, worker_options=NO_POLL, wakeup=wakeup)
    assert other.runtime.db.engine is not runtime.db.engine
    await asyncio.wait_for(wakeup.rung.wait(), 15)  # the LISTEN connection is up
    await client.register(receiver.url())
    gate = receiver.hold()

    wakeup.rung.clear()
    webhook_id = await client.publish_one()
    await receiver.wait_for_requests(1)
    await asyncio.wait_for(wakeup.rung.wait(), 15)  # rung by the NOTIFY: nothing else rings it now
    await stop_while_in_flight(other.runtime, gate)

    assert receiver.ids() == [webhook_id]
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"]) == (SUCCESSFUL, 1)
