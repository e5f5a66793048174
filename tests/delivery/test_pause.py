"""Pause and resume: nothing is sent while paused, nothing is lost, and a resume releases what
was held in group order at a bounded rate; the clock is advanced, never waited for."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from hookline.store.tables import webhook_registrations
from tests.api.support import iso
from tests.conftest import Reply
from tests.delivery.conftest import Client, LiveReceiver, instant

CREATED, RETRYING, SUCCESSFUL, FAILED, ABORTED, PENDING = 1, 2, 3, 4, 5, 6
SPACING = timedelta(milliseconds=50)  # HOOKLINE_RESUME_RATE's default, 20 per second


async def set_paused(client: Client, registration_id: str, paused: bool) -> dict[str, Any]:
    answer = await client.http.patch(
        f"/api/webhook-registrations/{registration_id}", headers=client.headers, json={"isPaused": paused}
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_pause_publish_resume_delivers_everything_in_group_order(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url(), shouldGroup=True)
    first = await client.publish_one("1")
    paused = await set_paused(client, registration["id"], True)
    assert (paused["isPaused"], paused["pausedAt"], paused["disabledReason"]) == (
        True,
        iso(clock.now()),
        "paused through the API",
    )
    groups = {entity: [await client.publish_one(entity, data={"n": n}) for n in range(3)] for entity in "12"}
    groups["1"].insert(0, first)

    clock.advance(timedelta(hours=1))
    assert await runtime.worker.deliver_due() == 0
    assert await client.states(*groups["1"], *groups["2"]) == [PENDING] * 7

    await set_paused(client, registration["id"], False)
    # The oldest of each group is released at 20 per second; the rest of a group follows in order.
    assert await runtime.worker.deliver_due() == 4
    clock.advance(SPACING)
    assert await runtime.worker.deliver_due() == 3
    arrived = receiver.ids()
    assert sorted(arrived) == sorted(groups["1"] + groups["2"])  # each exactly once
    for group in groups.values():
        assert [i for i in arrived if i in group] == group
    assert await client.states(*groups["1"], *groups["2"]) == [SUCCESSFUL] * 7


async def test_a_resume_releases_an_ungrouped_backlog_at_the_resume_rate(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url(), isPaused=True)
    held = [await client.publish_one(str(n)) for n in range(6)]
    assert await client.states(*held) == [PENDING] * 6
    resumed_at = clock.now()

    await set_paused(client, registration["id"], False)

    due = [instant((await client.webhook(w))["nextAttemptAt"]) for w in held]
    assert due == [resumed_at + n * SPACING for n in range(6)]
    assert await runtime.worker.deliver_due() == 1
    clock.advance(SPACING)
    assert await runtime.worker.deliver_due() == 1
    clock.advance(4 * SPACING)
    assert await runtime.worker.deliver_due() == 4
    assert receiver.ids() == held


async def test_a_retry_held_by_the_pause_is_released_as_a_retry(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url())
    receiver.reply(Reply(500))
    webhook_id = await client.publish_one()
    assert await runtime.worker.deliver_due() == 1
    await set_paused(client, registration["id"], True)
    clock.advance(timedelta(hours=1))
    assert await runtime.worker.deliver_due() == 0
    held = await client.webhook(webhook_id)
    assert (held["state"], held["attemptCount"], held["nextAttemptAt"]) == (PENDING, 1, None)

    await set_paused(client, registration["id"], False)
    assert (await client.webhook(webhook_id))["state"] == RETRYING
    assert await runtime.worker.deliver_due() == 1
    assert [a["attemptNumber"] for a in await client.attempts(webhook_id)] == [1, 2]
    assert await client.states(webhook_id) == [SUCCESSFUL]


async def test_an_attempt_in_flight_when_paused_is_recorded_and_its_retry_held(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url())
    gate = receiver.hold()
    receiver.reply(Reply(503))
    webhook_id = await client.publish_one()
    delivering = asyncio.create_task(runtime.worker.deliver_due())
    await receiver.wait_for_requests(1)
    await set_paused(client, registration["id"], True)  # the lease keeps it from the pause
    gate.set()
    assert await delivering == 1
    assert await client.states(webhook_id) == [RETRYING]

    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 0  # claimed, seen paused, held unsent
    assert await client.states(webhook_id) == [PENDING]
    assert len(receiver.requests) == 1


async def test_a_webhook_made_due_as_the_pause_began_is_held_by_the_worker_that_claims_it(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    registration = await client.register(receiver.url())
    webhook_id = await client.publish_one()
    async with runtime.db.write() as conn:  # a pause committed after the publish read it as running
        await conn.execute(
            update(webhook_registrations)
            .where(webhook_registrations.c.id == registration["id"])
            .values(paused_at=runtime.clock.now())
        )
    assert await client.states(webhook_id) == [CREATED]
    assert await runtime.worker.deliver_due() == 0
    assert await client.states(webhook_id) == [PENDING]
    assert receiver.requests == []


async def test_pausing_and_resuming_by_hand_are_announced_and_usable_by_the_ui(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(
        receiver.url("/watch"), enabledEvents=[{"entityName": "WebhookRegistration", "type": 2}]
    )
    registration = await client.register(receiver.url("/target"))
    held = await client.publish_one()
    service = runtime.hookline

    paused = await service.pause_registration(registration["id"], "acme")
    assert paused.is_paused and paused.disabled_reason == "paused through the API"
    assert (await service.pause_registration(registration["id"], "acme")).paused_at == paused.paused_at
    resumed = await service.resume_registration(registration["id"], "acme")
    assert not resumed.is_paused and resumed.disabled_reason is None

    assert await runtime.worker.deliver_due() == 3
    assert receiver.ids("/target") == [held]
    changes = [json.loads(r.body)["data"] for r in receiver.requests if r.path == "/watch"]
    assert [
        (c["change"], c["isPaused"], c.get("heldWebhooks"), c.get("releasedWebhooks")) for c in changes
    ] == [
        ("paused", True, 1, None),
        ("resumed", False, None, 1),
    ]


async def test_an_inactive_registration_cannot_be_paused_and_deactivating_ends_a_pause(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    registration = await client.register(receiver.url(), isPaused=True)
    held = await client.publish_one()
    path = f"/api/webhook-registrations/{registration['id']}"
    answer = await client.http.patch(path, headers=client.headers, json={"isActive": False})
    assert (answer.json()["isActive"], answer.json()["isPaused"]) == (False, False)
    assert await client.states(held) == [ABORTED]

    refused = await client.http.patch(path, headers=client.headers, json={"isPaused": True})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "reactivate" in refused.json()["detail"]

    both = await client.http.patch(path, headers=client.headers, json={"isActive": True, "isPaused": True})
    assert (both.json()["isActive"], both.json()["isPaused"]) == (True, True)
    assert await client.states(await client.publish_one()) == [PENDING]
    assert await runtime.worker.deliver_due() == 0


async def test_is_paused_must_be_a_boolean(client: Client, receiver: LiveReceiver) -> None:
    registration = await client.register(receiver.url())
    for value in (None, "maybe", 2):
        answer = await client.http.patch(
            f"/api/webhook-registrations/{registration['id']}",
            headers=client.headers,
            json={"isPaused": value},
        )
        assert answer.status_code == 422, value
