"""The retry schedule walked with the frozen clock, and Retry-After from 429 and 503 answers."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.conftest import Reply
from tests.delivery.conftest import Client, LiveReceiver, instant

SCHEDULE = [
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
]
RETRYING, SUCCESSFUL, FAILED = 2, 3, 4
JUST_BEFORE = timedelta(microseconds=1)


async def test_the_default_schedule_is_walked_then_failed_then_retried_by_hand(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.default = Reply(status=500, body="down")

    for attempt, delay in enumerate(SCHEDULE, start=1):
        attempted_at = clock.now()
        assert await runtime.worker.deliver_due() == 1
        webhook = await client.webhook(webhook_id)
        assert webhook["state"] == RETRYING
        assert webhook["attemptCount"] == attempt
        assert instant(webhook["nextAttemptAt"]) == attempted_at + delay
        clock.advance(delay - JUST_BEFORE)
        assert await runtime.worker.deliver_due() == 0, f"attempt {attempt + 1} came early"
        clock.advance(JUST_BEFORE)

    assert await runtime.worker.deliver_due() == 1
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"], webhook["nextAttemptAt"]) == (FAILED, 7, None)
    attempts = await client.attempts(webhook_id)
    assert [a["attemptNumber"] for a in attempts] == [1, 2, 3, 4, 5, 6, 7]
    assert all(a["responseStatus"] == 500 and a["responseBody"] == "down" for a in attempts)
    assert not any(a["succeeded"] for a in attempts)
    assert len(receiver.requests) == 7
    assert set(receiver.ids()) == {webhook_id}
    clock.advance(timedelta(days=30))
    assert await runtime.worker.deliver_due() == 0

    receiver.default = Reply(status=204, body="")
    retried = await client.act(webhook_id, "retry")
    assert retried["state"] == RETRYING
    assert instant(retried["nextAttemptAt"]) == clock.now()
    assert await runtime.worker.deliver_due() == 1
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"], webhook["nextAttemptAt"]) == (SUCCESSFUL, 8, None)
    last = (await client.attempts(webhook_id))[-1]
    assert (last["attemptNumber"], last["responseStatus"], last["succeeded"]) == (8, 204, True)


async def test_retry_after_from_429_and_503_pushes_the_next_attempt_back(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.reply(
        Reply(status=429, headers={"Retry-After": "7200"}),
        Reply(status=503, headers={"Retry-After": "7200"}),
        Reply(status=503, headers={"Retry-After": "60"}),
    )

    for status, delay in ((429, timedelta(hours=2)), (503, timedelta(hours=2)), (503, timedelta(hours=1))):
        attempted_at = clock.now()
        assert await runtime.worker.deliver_due() == 1
        webhook = await client.webhook(webhook_id)
        assert webhook["state"] == RETRYING
        assert instant(webhook["nextAttemptAt"]) == attempted_at + delay, status
        clock.advance(delay - JUST_BEFORE)
        assert await runtime.worker.deliver_due() == 0
        clock.advance(JUST_BEFORE)

    assert await runtime.worker.deliver_due() == 1
    assert (await client.webhook(webhook_id))["state"] == SUCCESSFUL
    assert [a["responseStatus"] for a in await client.attempts(webhook_id)] == [429, 503, 503, 200]


async def test_retry_after_as_an_http_date(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    later = clock.now() + timedelta(hours=3)
    receiver.reply(Reply(status=503, headers={"Retry-After": format_datetime(later, usegmt=True)}))

    assert await runtime.worker.deliver_due() == 1

    assert instant((await client.webhook(webhook_id))["nextAttemptAt"]) == later


async def test_retry_after_does_not_grant_attempts_beyond_the_limit(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.reply(*[Reply(status=500)] * 6, Reply(status=429, headers={"Retry-After": "60"}))

    for delay in SCHEDULE:
        assert await runtime.worker.deliver_due() == 1
        clock.advance(delay)
    assert await runtime.worker.deliver_due() == 1

    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"], webhook["nextAttemptAt"]) == (FAILED, 7, None)


async def test_retry_after_on_other_statuses_keeps_the_schedule(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.reply(Reply(status=500, headers={"Retry-After": "7200"}))

    assert await runtime.worker.deliver_due() == 1

    assert instant((await client.webhook(webhook_id))["nextAttemptAt"]) == clock.now() + SCHEDULE[0]
