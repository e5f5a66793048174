"""Per-registration throttling (`maxRequestsPerSecond`): the token bucket lives in the database,
so every worker draws from the same one; the frozen clock walks its refills, and a real run loop
shows that a worker wakes up when tokens come back rather than at its next poll."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hookline.clock import FrozenClock, SystemClock
from hookline.runtime import Runtime
from hookline.store.tables import webhooks
from hookline.store.webhooks import ClaimLimits, claim_due
from tests.conftest import Reply
from tests.delivery.conftest import NO_POLL, Client, LiveReceiver, StackFactory

SUCCESSFUL, PENDING = 3, 6
EVERY = {"entityName": "Process", "type": "Updated"}


async def publish_many(client: Client, count: int) -> list[str]:
    return [await client.publish_one(str(n)) for n in range(count)]


async def test_a_registration_gets_its_burst_then_one_request_per_refill(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url(), maxRequestsPerSecond=20)  # burst 2, a token every 50 ms
    sent = await publish_many(client, 6)

    assert await runtime.worker.deliver_due() == 2
    assert await runtime.worker.deliver_due() == 0
    clock.advance(timedelta(milliseconds=49))
    assert await runtime.worker.deliver_due() == 0
    clock.advance(timedelta(milliseconds=1))
    assert await runtime.worker.deliver_due() == 1
    clock.advance(timedelta(seconds=10))  # idle for long: still only the burst at once
    assert await runtime.worker.deliver_due() == 2
    clock.advance(timedelta(milliseconds=50))
    assert await runtime.worker.deliver_due() == 1

    assert sorted(receiver.ids()) == sorted(sent)
    assert await client.states(*sent) == [SUCCESSFUL] * 6


async def test_two_workers_draw_from_one_bucket(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock, make_stack: StackFactory
) -> None:
    other = await make_stack(clock)
    await client.register(receiver.url(), maxRequestsPerSecond=20)
    await publish_many(client, 6)

    assert await runtime.worker.deliver_due() == 2
    assert await other.runtime.worker.deliver_due() == 0  # the bucket is shared, not per process
    clock.advance(timedelta(milliseconds=50))
    assert await other.runtime.worker.deliver_due() == 1
    assert await runtime.worker.deliver_due() == 0
    assert len(receiver.requests) == 3


async def test_retries_take_tokens_like_first_attempts(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url(), maxRequestsPerSecond=1, retrySchedule=["1s"])
    receiver.reply(Reply(500))
    first, second = await publish_many(client, 2)

    assert await runtime.worker.deliver_due() == 1  # the first fails; its retry is due in 1 s
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1  # the retry and the second: one token
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1
    assert receiver.ids()[0] == first
    assert sorted(receiver.ids()) == sorted([first, first, second])
    assert await client.states(first, second) == [SUCCESSFUL] * 2


async def test_a_throttled_registration_does_not_hold_back_others(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    """The claim leaves the throttled rows due and takes the others' in the same round."""
    await client.register(receiver.url("/slow"), maxRequestsPerSecond=1)
    await client.register(receiver.url("/free"), enabledEvents=[EVERY])
    for n in range(5):
        await client.publish(str(n))

    assert await runtime.worker.deliver_due() == 1 + 5
    assert (len(receiver.ids("/slow")), len(receiver.ids("/free"))) == (1, 5)
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1


async def test_grouped_webhooks_keep_their_order_under_the_ceiling(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url(), maxRequestsPerSecond=10, shouldGroup=True)  # burst 1
    sent = [await client.publish_one("1", data={"n": n}) for n in range(3)]

    for _ in sent:
        assert await runtime.worker.deliver_due() == 1
        assert await runtime.worker.deliver_due() == 0
        clock.advance(timedelta(milliseconds=100))
    assert receiver.ids() == sent


async def test_webhooks_held_by_a_pause_take_no_tokens(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url(), maxRequestsPerSecond=1)
    sent = await publish_many(client, 3)
    path = f"/api/webhook-registrations/{registration['id']}"
    await client.http.patch(path, headers=client.headers, json={"isPaused": True})
    assert await runtime.worker.deliver_due() == 0  # claimed as they were due, held in Pending
    assert await client.states(*sent) == [PENDING] * 3

    await client.http.patch(path, headers=client.headers, json={"isPaused": False})
    assert await runtime.worker.deliver_due() == 1  # the bucket is as full as before the pause


async def test_the_claim_keeps_what_the_bucket_holds_and_leaves_the_rest_due(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url(), maxRequestsPerSecond=20)
    await publish_many(client, 5)
    async with runtime.db.write() as conn:
        claim = await claim_due(
            conn,
            now=clock.now(),
            limits=ClaimLimits(total=10, per_registration=10),
            lease_until=clock.now() + timedelta(minutes=1),
            lease_token="lease_t",
        )
    assert (len(claim.webhooks), claim.released) == (2, 3)
    bucket = claim.buckets[registration["id"]]
    assert (bucket.tokens, bucket.wait(clock.now())) == (0, timedelta(milliseconds=50))
    async with runtime.db.read() as conn:
        leased = (await conn.execute(select(webhooks.c.lease_token).order_by(webhooks.c.seq))).scalars()
        assert list(leased) == ["lease_t", "lease_t", None, None, None]


async def test_a_running_worker_wakes_when_tokens_come_back(
    make_stack: StackFactory, receiver: LiveReceiver
) -> None:
    """The worker never polls here (NO_POLL): only the refill wake-up delivers the second and third."""
    stack = await make_stack(SystemClock(), run_worker=True, worker_options=NO_POLL)
    await stack.client.register(receiver.url(), maxRequestsPerSecond=10)  # burst 1, 100 ms apart
    sent = await publish_many(stack.client, 3)

    await receiver.wait_for_requests(3)
    assert sorted(receiver.ids()) == sorted(sent)
