"""Every catalog entity works for every event type: all six types of all 24 entities, published
to one registration subscribed to all of them (by name, or with `*`), are delivered, relation events with their
`relation`."""

from __future__ import annotations

import json

import pytest

from hookline.domain.catalog import DEFAULT_ENTITIES
from hookline.domain.enums import WebhookEventType
from hookline.runtime import Runtime
from tests.delivery.conftest import Client, LiveReceiver


def relation_of(kind: WebhookEventType, entity_name: str) -> dict[str, object] | None:
    if kind < WebhookEventType.REPLACE_RELATION:
        return None
    return {"name": f"{entity_name.lower()}Links", "ids": [f"{kind.value}-a", "b"], "entityName": "Tenant"}


EVERY_PAIR = [
    {"entityName": name, "type": kind.label} for name in DEFAULT_ENTITIES for kind in WebhookEventType
]


@pytest.mark.parametrize(
    "events", [EVERY_PAIR, [{"entityName": "*", "type": "*"}]], ids=["pairs", "wildcards"]
)
async def test_every_type_of_every_entity_is_delivered_relation_events_with_their_relation(
    client: Client, runtime: Runtime, receiver: LiveReceiver, events: list[dict[str, str]]
) -> None:
    """Subscribed pair by pair, or with `*` for both."""
    await client.register(receiver.url(), enabledEvents=events)
    published = {}
    for name in DEFAULT_ENTITIES:
        for kind in WebhookEventType:
            relation = relation_of(kind, name)
            extra = {} if relation is None else {"relation": relation}
            [webhook_id] = await client.publish(
                f"{name}-{kind.value}", entityName=name, type=kind.label, **extra
            )
            published[webhook_id] = (name, kind.value, f"{name}-{kind.value}", relation)

    delivered = 0
    while made := await runtime.worker.deliver_due():
        delivered += made

    assert delivered == len(published) == 24 * 6
    arrived = {request.headers["webhook-id"]: json.loads(request.body) for request in receiver.requests}
    assert {
        webhook_id: (body["entityName"], body["type"], body["entityId"], body.get("relation"))
        for webhook_id, body in arrived.items()
    } == published
    assert all(("relation" in body) is (body["type"] >= 4) for body in arrived.values())
    assert {(await client.webhook(webhook_id))["state"] for webhook_id in published} == {3}
