"""Every catalog entity works for every event type: Created, Updated and Deleted of all 24,
published to one registration subscribed to all of them, are all delivered."""

from __future__ import annotations

import json

from hookline.domain.catalog import DEFAULT_ENTITIES
from hookline.runtime import Runtime
from tests.delivery.conftest import Client, LiveReceiver

TYPES = ("Created", "Updated", "Deleted")


async def test_created_updated_and_deleted_of_every_entity_are_delivered(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    events = [{"entityName": name, "type": kind} for name in DEFAULT_ENTITIES for kind in TYPES]
    await client.register(receiver.url(), enabledEvents=events)
    published = {}
    for name in DEFAULT_ENTITIES:
        for number, kind in enumerate(TYPES, start=1):
            [webhook_id] = await client.publish(f"{name}-{number}", entityName=name, type=kind)
            published[webhook_id] = (name, number)

    delivered = 0
    while made := await runtime.worker.deliver_due():
        delivered += made

    assert delivered == len(published) == 72
    arrived = {request.headers["webhook-id"]: json.loads(request.body) for request in receiver.requests}
    assert {
        webhook_id: (body["entityName"], body["type"]) for webhook_id, body in arrived.items()
    } == published
    assert {(await client.webhook(webhook_id))["state"] for webhook_id in published} == {3}
