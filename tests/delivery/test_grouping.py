"""Grouping: the Webhooks of one group are delivered strictly in order, one at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hookline.clock import FrozenClock
from hookline.domain.retry import RetryPolicy
from hookline.runtime import Runtime
from tests.conftest import Reply
from tests.delivery.conftest import Client, LiveReceiver, StackFactory, instant

CREATED, RETRYING, SUCCESSFUL, FAILED, ABORTED, PENDING, RESOLVED = 1, 2, 3, 4, 5, 6, 7


async def test_later_webhooks_of_a_group_wait_and_follow_in_order(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url(), shouldGroup=True)
    a, b, c = [await client.publish_one("1") for _ in range(3)]
    other_group = await client.publish_one("2")
    assert await client.states(a, b, c, other_group) == [CREATED, PENDING, PENDING, CREATED]
    assert (await client.webhook(b))["nextAttemptAt"] is None
    assert (await client.webhook(b))["groupKey"] == "Process:1"
    receiver.reply_to(a, Reply(status=500))

    assert await runtime.worker.deliver_due() == 2  # the head of each group

    assert await client.states(a, b, c, other_group) == [RETRYING, PENDING, PENDING, SUCCESSFUL]
    clock.advance(timedelta(minutes=5) - timedelta(microseconds=1))
    assert await runtime.worker.deliver_due() == 0
    clock.advance(timedelta(microseconds=1))

    assert await runtime.worker.deliver_due() == 3  # a, which releases b, which releases c

    assert [i for i in receiver.ids() if i != other_group] == [a, a, b, c]
    assert await client.states(a, b, c) == [SUCCESSFUL] * 3
    for webhook_id in (b, c):
        [attempt] = await client.attempts(webhook_id)
        assert instant(attempt["startedAt"]) == clock.now()


async def test_a_group_key_groups_across_entities(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url(), shouldGroup=True)
    first = await client.publish_one("1", groupKey="order-7")
    second = await client.publish_one("2", groupKey="order-7")
    own_entity = await client.publish_one("1")

    assert await client.states(first, second, own_entity) == [CREATED, PENDING, CREATED]
    assert [(await client.webhook(i))["groupKey"] for i in (first, second, own_entity)] == [
        "order-7",
        "order-7",
        "Process:1",
    ]
    assert await runtime.worker.deliver_due() == 3
    assert receiver.ids().index(first) < receiver.ids().index(second)


@pytest.mark.parametrize(
    ("action", "settled"),
    [("resolve", RESOLVED), ("abort", ABORTED), ("retry", SUCCESSFUL)],
)
async def test_a_failed_webhook_blocks_its_group_until_someone_acts(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock, action: str, settled: int
) -> None:
    stack = await make_stack(clock, retry_policy=RetryPolicy.parse("1m"))
    client, worker = stack.client, stack.runtime.worker
    await client.register(receiver.url(), shouldGroup=True, shouldGroupContinueAfterFail=False)
    a = await client.publish_one("1")
    b = await client.publish_one("1")
    other_group = await client.publish_one("2")
    receiver.reply_to(a, Reply(status=500), Reply(status=500))
    assert await worker.deliver_due() == 2
    clock.advance(timedelta(minutes=1))
    assert await worker.deliver_due() == 1

    assert await client.states(a, b, other_group) == [FAILED, PENDING, SUCCESSFUL]
    clock.advance(timedelta(days=1))
    assert await worker.deliver_due() == 0
    c = await client.publish_one("1")
    assert await client.states(c) == [PENDING]

    acted = await client.act(a, action)
    if action != "retry":
        assert acted["state"] == settled
        released = await client.webhook(b)
        assert (released["state"], instant(released["nextAttemptAt"])) == (CREATED, clock.now())
    else:
        assert acted["state"] == RETRYING
        assert await client.states(b) == [PENDING]

    assert await worker.deliver_due() == (3 if action == "retry" else 2)

    assert await client.states(a, b, c) == [settled, SUCCESSFUL, SUCCESSFUL]
    assert [i for i in receiver.ids() if i != other_group][2:] == ([a] if action == "retry" else []) + [b, c]


async def test_continue_after_fail_lets_a_failed_webhook_release_its_group(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stack = await make_stack(clock, retry_policy=RetryPolicy.parse("1m"))
    client, worker = stack.client, stack.runtime.worker
    await client.register(receiver.url(), shouldGroup=True, shouldGroupContinueAfterFail=True)
    a = await client.publish_one("1")
    b = await client.publish_one("1")
    receiver.reply_to(a, Reply(status=500), Reply(status=500))

    assert await worker.deliver_due() == 1
    assert await client.states(a, b) == [RETRYING, PENDING]  # Retrying still holds the group
    clock.advance(timedelta(minutes=1))
    assert await worker.deliver_due() == 2  # a fails for good, which releases b at once

    assert await client.states(a, b) == [FAILED, SUCCESSFUL]
    assert receiver.ids() == [a, a, b]
    c = await client.publish_one("1")
    assert await client.states(c) == [CREATED]  # a Failed Webhook does not hold back new ones


async def test_aborting_a_pending_webhook_keeps_the_order_of_the_rest(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url(), shouldGroup=True)
    a, b, c = [await client.publish_one("1") for _ in range(3)]

    assert (await client.act(b, "abort"))["state"] == ABORTED
    assert await client.states(a, b, c) == [CREATED, ABORTED, PENDING]

    assert await runtime.worker.deliver_due() == 2
    assert receiver.ids() == [a, c]


async def test_without_grouping_nothing_waits(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url())
    a, b, c = [await client.publish_one("1") for _ in range(3)]
    assert await client.states(a, b, c) == [CREATED] * 3
    receiver.reply_to(a, Reply(status=500))

    assert await runtime.worker.deliver_due() == 3

    assert await client.states(a, b, c) == [RETRYING, SUCCESSFUL, SUCCESSFUL]


async def test_turning_grouping_off_releases_the_waiting_webhooks(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url(), shouldGroup=True)
    a, b = await client.publish_one("1"), await client.publish_one("1")
    receiver.reply_to(a, Reply(status=500))
    assert await runtime.worker.deliver_due() == 1
    assert await client.states(a, b) == [RETRYING, PENDING]

    patched = await client.http.patch(
        f"/api/webhook-registrations/{registration['id']}",
        headers=client.headers,
        json={"shouldGroup": False},
    )
    assert patched.status_code == 200, patched.text
    clock.advance(timedelta(minutes=5))

    assert await runtime.worker.deliver_due() == 2
    assert await client.states(a, b) == [SUCCESSFUL, SUCCESSFUL]


async def test_allowing_continue_after_fail_releases_a_group_held_by_a_failed_webhook(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url(), shouldGroup=True)
    a, b = await client.publish_one("1"), await client.publish_one("1")
    receiver.default = Reply(status=500)
    for _ in range(7):
        assert await runtime.worker.deliver_due() == 1
        clock.advance(timedelta(days=1))
    assert await client.states(a, b) == [FAILED, PENDING]

    patched = await client.http.patch(
        f"/api/webhook-registrations/{registration['id']}",
        headers=client.headers,
        json={"shouldGroupContinueAfterFail": True},
    )
    assert patched.status_code == 200, patched.text
    receiver.default = Reply(status=200)

    assert await runtime.worker.deliver_due() == 1
    assert await client.states(a, b) == [FAILED, SUCCESSFUL]
