"""The retry schedule walked with the frozen clock, and Retry-After from 429 and 503 answers."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.retry import RetryPolicy
from hookline.runtime import Runtime
from tests.conftest import Reply
from tests.delivery.conftest import Client, LiveReceiver, StackFactory, instant

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


async def test_an_enormous_retry_after_waits_only_up_to_max_retry_after(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    for ceiling in (timedelta(hours=24), timedelta(hours=1)):  # the default, and a setting
        policy = RetryPolicy(RetryPolicy.parse().delays, max_retry_after=ceiling)
        stack = await make_stack(clock, retry_policy=policy)
        stack.client.organization_id = f"org-{ceiling.seconds}"  # each stack its own registration
        await stack.client.register(receiver.url(f"/{ceiling.seconds}"), shouldGroup=True)
        receiver.reply_at(f"/{ceiling.seconds}", Reply(status=429, headers={"Retry-After": "99999999"}))
        first, behind = await stack.client.publish_one(), await stack.client.publish_one()

        assert await stack.runtime.worker.deliver_due() == 1
        assert instant((await stack.client.webhook(first))["nextAttemptAt"]) == clock.now() + ceiling
        clock.advance(ceiling)
        assert await stack.runtime.worker.deliver_due() == 2  # the group moves on, in order
        assert await stack.client.states(first, behind) == [SUCCESSFUL, SUCCESSFUL]


async def test_a_registration_schedule_overrides_the_service_schedule(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    own = await client.register(receiver.url("/own"), retrySchedule=["10s", "1m"])
    assert own["retrySchedule"] == ["10s", "1m"]
    receiver.reply_at("/own", *[Reply(status=500)] * 3)
    webhook_id = await client.publish_one()

    for delay in (timedelta(seconds=10), timedelta(minutes=1)):
        assert await runtime.worker.deliver_due() == 1
        assert instant((await client.webhook(webhook_id))["nextAttemptAt"]) == clock.now() + delay
        clock.advance(delay)
    assert await runtime.worker.deliver_due() == 1
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"], webhook["nextAttemptAt"]) == (FAILED, 3, None)


async def test_an_empty_registration_schedule_means_one_attempt_and_null_restores_the_default(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    once = await client.register(receiver.url("/once"), retrySchedule=[])
    assert once["retrySchedule"] == []
    receiver.reply_at("/once", Reply(status=500), Reply(status=500))
    webhook_id = await client.publish_one("1")
    assert await runtime.worker.deliver_due() == 1
    assert await client.states(webhook_id) == [FAILED]

    answer = await client.http.patch(
        f"/api/webhook-registrations/{once['id']}", headers=client.headers, json={"retrySchedule": None}
    )
    assert answer.json()["retrySchedule"] is None
    again = await client.publish_one("2")
    assert await runtime.worker.deliver_due() == 1
    assert await client.states(again) == [RETRYING]  # the service's 7 attempts again


async def test_the_service_can_say_no_retries(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stack = await make_stack(
        clock, retry_policy=Settings.from_env({"HOOKLINE_RETRY_SCHEDULE": "none"}).retry_policy
    )
    await stack.client.register(receiver.url())
    receiver.reply(Reply(status=503))
    webhook_id = await stack.client.publish_one()
    assert await stack.runtime.worker.deliver_due() == 1
    assert await stack.client.states(webhook_id) == [FAILED]


async def test_jitter_spreads_retries_within_its_fraction(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stack = await make_stack(clock, retry_policy=RetryPolicy((timedelta(minutes=10),), jitter=0.5))
    await stack.client.register(receiver.url())
    receiver.reply(*[Reply(status=500)] * 20)
    ids = [await stack.client.publish_one(str(n)) for n in range(20)]
    assert await stack.runtime.worker.deliver_due() == 20
    waits = {instant((await stack.client.webhook(i))["nextAttemptAt"]) - clock.now() for i in ids}
    assert all(timedelta(minutes=5) <= wait <= timedelta(minutes=15) for wait in waits)
    assert len(waits) > 1  # twenty draws that all came out equal would be no jitter at all
