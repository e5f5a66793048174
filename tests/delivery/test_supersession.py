"""`coalesceUpdates`: a newer Updated event takes over a still-waiting Updated Webhook of the same
entity, so a target that recovers receives the latest state once, not a backlog of stale ones."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from prometheus_client import REGISTRY

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.conftest import Reply
from tests.delivery.conftest import NO_POLL, Client, LiveReceiver, running, worker_for
from tests.delivery.test_request import hmac_signatures

CREATED, UPDATED, DELETED = 1, 2, 3
S_CREATED, S_RETRYING, S_SUCCESSFUL, S_PENDING = 1, 2, 3, 6
ALL_TYPES = [{"entityName": "Process", "type": kind} for kind in (CREATED, UPDATED, DELETED)]


def superseded_total() -> float:
    return REGISTRY.get_sample_value("hookline_webhooks_superseded_total") or 0.0


def bodies(receiver: LiveReceiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests]


async def test_a_recovering_target_receives_the_latest_state_once(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url(), coalesceUpdates=True)
    receiver.reply(Reply(503))
    first = await client.publish_one(data={"version": 1})
    assert await runtime.worker.deliver_due() == 1
    assert await client.states(first) == [S_RETRYING]

    superseded_before = superseded_total()
    later = [await client.publish_one(data={"version": v}) for v in (2, 3)]
    assert later == [first, first]  # no new Webhooks: the waiting one carries each newer event
    assert superseded_total() == superseded_before + 2
    other_entity = await client.publish_one("43", data={"version": 1})
    assert other_entity != first

    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 2
    retried = [b for b in bodies(receiver) if b["id"] == first]
    assert [b["data"] for b in retried] == [{"version": 1}, {"version": 3}]
    assert retried[1]["eventId"] != retried[0]["eventId"]
    webhook = await client.webhook(first)
    assert (webhook["state"], webhook["attemptCount"], webhook["eventId"]) == (
        S_SUCCESSFUL,
        2,
        retried[1]["eventId"],
    )


async def test_each_payload_taken_over_is_sent_under_a_new_webhook_id(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    """A receiver that processed version 1 (its 2xx lost) and deduplicates on `webhook-id` must
    still accept version 2; attempts of one payload keep their `webhook-id`."""
    registration = await client.register(receiver.url(), coalesceUpdates=True)
    receiver.reply(Reply(503), Reply(503))
    webhook_id = await client.publish_one(data={"version": 1})
    assert await runtime.worker.deliver_due() == 1
    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 1  # version 1 again: the same webhook-id
    assert await client.publish_one(data={"version": 2}) == webhook_id
    clock.advance(timedelta(minutes=15))
    assert await runtime.worker.deliver_due() == 1

    for request in receiver.requests:  # signed over the webhook-id it carries
        assert request.headers["webhook-signature"].split(" ") == hmac_signatures(
            registration["signingSecret"], request
        )
    sent = [(r.headers["webhook-id"], json.loads(r.body)) for r in receiver.requests]
    assert [body["data"]["version"] for _, body in sent] == [1, 1, 2]
    assert sent[0][0] == sent[1][0] == webhook_id  # the Webhook's own id until it is taken over
    assert sent[2][0] not in (webhook_id, "")
    assert {body["id"] for _, body in sent} == {webhook_id}  # the body names the Webhook of the API
    assert await client.states(webhook_id) == [S_SUCCESSFUL]


async def test_updates_are_never_merged_across_a_created_or_deleted(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url(), coalesceUpdates=True, enabledEvents=ALL_TYPES)
    created = await client.publish_one(type=CREATED, data={"v": 0})
    updates = [await client.publish_one(type=UPDATED, data={"v": v}) for v in (1, 2)]
    deleted = await client.publish_one(type=DELETED, data={"v": 3})
    recreated = await client.publish_one(type=CREATED, data={"v": 4})
    after = [await client.publish_one(type=UPDATED, data={"v": v}) for v in (5, 6)]

    assert len({created, updates[0], deleted, recreated, after[0]}) == 5
    assert updates == [updates[0]] * 2 and after == [after[0]] * 2
    assert await runtime.worker.deliver_due() == 5
    assert sorted((b["type"], b["data"]["v"]) for b in bodies(receiver)) == [
        (CREATED, 0),
        (CREATED, 4),
        (UPDATED, 2),
        (UPDATED, 6),
        (DELETED, 3),
    ]


async def test_a_webhook_in_flight_is_not_taken_over(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url(), coalesceUpdates=True)
    gate = receiver.hold()
    worker = worker_for(runtime, NO_POLL)
    async with running(worker):
        in_flight = await client.publish_one(data={"version": 1})
        await receiver.wait_for_requests(1)
        newer = await client.publish_one(data={"version": 2})
        assert newer != in_flight
        gate.set()
        await receiver.wait_for_requests(2)
    assert [b["data"] for b in bodies(receiver)] == [{"version": 1}, {"version": 2}]
    assert await client.states(in_flight, newer) == [S_SUCCESSFUL, S_SUCCESSFUL]


async def test_a_pending_webhook_of_a_group_is_taken_over_in_place(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url(), coalesceUpdates=True, shouldGroup=True, enabledEvents=ALL_TYPES)
    receiver.reply(Reply(500))
    created = await client.publish_one(type=CREATED, data={"v": 0})
    assert await runtime.worker.deliver_due() == 1  # fails: the group waits behind it
    pending = await client.publish_one(data={"v": 1})
    assert await client.publish_one(data={"v": 2}) == pending
    assert await client.states(created, pending) == [S_RETRYING, S_PENDING]

    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 2
    assert [(b["type"], b["data"]["v"]) for b in bodies(receiver)] == [
        (CREATED, 0),
        (CREATED, 0),
        (UPDATED, 2),
    ]


async def test_a_batch_of_updates_to_one_entity_makes_one_webhook(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url(), coalesceUpdates=True)
    event = {"organizationId": "acme", "entityName": "Process", "type": UPDATED, "entityId": "42"}
    answer = await client.http.post(
        "/api/events/batch",
        headers=client.headers,
        json={"events": [event | {"data": {"v": v}} for v in range(3)]},
    )
    assert answer.status_code == 202, answer.text
    ids = {webhook_id for item in answer.json()["items"] for webhook_id in item["webhookIds"]}
    assert len(ids) == 1
    assert await runtime.worker.deliver_due() == 1
    assert [b["data"] for b in bodies(receiver)] == [{"v": 2}]


async def test_without_coalescing_every_update_is_delivered(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url())
    ids = [await client.publish_one(data={"v": v}) for v in range(3)]
    assert len(set(ids)) == 3
    assert await runtime.worker.deliver_due() == 3
    assert await client.states(*ids) == [S_SUCCESSFUL] * 3


async def test_a_replace_relation_takes_over_a_waiting_one_of_the_same_relation_only(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    kinds = [
        {"entityName": "Process", "type": kind} for kind in ("Updated", "ReplaceRelation", "AddToRelation")
    ]
    await client.register(receiver.url(), coalesceUpdates=True, enabledEvents=kinds)

    def replace(name: str, *ids: str) -> dict[str, Any]:
        return {"type": "ReplaceRelation", "relation": {"name": name, "ids": list(ids)}}

    tenants = await client.publish_one(**replace("tenants", "t1"))
    assert await client.publish_one(**replace("tenants", "t1", "t2")) == tenants  # the newest list wins
    owners = await client.publish_one(**replace("owners", "o1"))  # another relation: its own Webhook
    assert owners != tenants
    added = await client.publish_one(type="AddToRelation", relation={"name": "owners", "ids": ["o2"]})
    after_add = await client.publish_one(**replace("owners", "o3"))  # never merged across an Add
    update = await client.publish_one(data={"v": 1})
    after_update = await client.publish_one(**replace("owners", "o4"))  # nor across an Updated

    assert len({tenants, owners, added, after_add, update, after_update}) == 6
    assert await runtime.worker.deliver_due() == 6
    assert {b["id"]: (b["type"], b.get("relation")) for b in bodies(receiver) if b["type"] != UPDATED} == {
        tenants: (4, {"name": "tenants", "ids": ["t1", "t2"]}),
        owners: (4, {"name": "owners", "ids": ["o1"]}),
        added: (5, {"name": "owners", "ids": ["o2"]}),
        after_add: (4, {"name": "owners", "ids": ["o3"]}),
        after_update: (4, {"name": "owners", "ids": ["o4"]}),
    }
