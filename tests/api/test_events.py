"""/api/events: one Webhook per matching live registration of the event's organization."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.api.support import (
    PROCESS_UPDATED,
    WEBHOOK_EXTENSIONS,
    WEBHOOK_FIELDS,
    assert_problem,
    error_fields,
    iso,
    publish,
    register,
    webhook,
)
from tests.conftest import START, Receiver

DATA_LIMIT = 256 * 1024


async def test_event_fans_out_to_live_matching_registrations_of_its_organization_only(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_subscriber: dict[str, str],
    clock: FrozenClock,
) -> None:
    first = await register(api, subscriber, "http://127.0.0.1/first")
    second = await register(
        api, subscriber, "http://127.0.0.1/second", {"entityName": "Process", "type": 1}, PROCESS_UPDATED
    )
    await register(api, subscriber, "http://127.0.0.1/other-type", {"entityName": "Process", "type": 3})
    await register(api, subscriber, "http://127.0.0.1/other-entity", {"entityName": "Tenant", "type": 2})
    inactive = await register(api, subscriber, "http://127.0.0.1/inactive")
    await api.patch(
        f"/api/webhook-registrations/{inactive['id']}", headers=subscriber, json={"isActive": False}
    )
    deleted = await register(api, subscriber, "http://127.0.0.1/deleted")
    await api.delete(f"/api/webhook-registrations/{deleted['id']}", headers=subscriber)
    await register(
        api, subscriber, "http://127.0.0.1/expiring", expiresAt=(START + timedelta(minutes=1)).isoformat()
    )
    await register(api, other_subscriber, "http://127.0.0.1/first")
    clock.advance(timedelta(minutes=1))

    response = await api.post(
        "/api/events",
        headers=publisher,
        json={"entityName": "Process", "type": 2, "entityId": "42"},
    )
    assert response.status_code == 202, response.text
    published = response.json()
    assert set(published) == {"eventId", "webhookIds"}
    assert isinstance(published["eventId"], str) and published["eventId"]
    assert len(published["webhookIds"]) == 2
    webhooks = [await webhook(api, subscriber, webhook_id) for webhook_id in published["webhookIds"]]
    assert {w["registrationId"] for w in webhooks} == {first["id"], second["id"]}
    for found in webhooks:
        assert set(found) == WEBHOOK_FIELDS | WEBHOOK_EXTENSIONS
        assert found["eventId"] == published["eventId"]
        assert found["entityName"] == "Process"
        assert found["type"] == 2
        assert found["entityId"] == "42"
        assert found["groupKey"] == "Process:42"
        assert found["state"] == 1
        assert found["attemptCount"] == 0
        assert found["nextAttemptAt"] == iso(clock.now())
        assert found["createdAt"] == found["updatedAt"] == iso(clock.now())
    [second_webhook] = [w for w in webhooks if w["registrationId"] == second["id"]]
    [updated_event] = [e for e in second["enabledEvents"] if e["type"] == 2]
    assert second_webhook["webhookEventId"] == updated_event["id"]
    foreign = await api.get("/api/webhooks", headers=other_subscriber)
    assert foreign.json()["totalCount"] == 0


async def test_event_without_subscribers_is_accepted(
    api: httpx.AsyncClient, publisher: dict[str, str]
) -> None:
    published = await publish(api, publisher, "Unit", "Deleted", "u-1")
    assert published["webhookIds"] == []
    assert published["eventId"]


@pytest.mark.parametrize("type_", [2, "2", "updated", "Updated", "UPDATED"])
async def test_type_and_entity_are_accepted_by_id_or_any_case_name(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], type_: object
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    published = await publish(api, publisher, "PROCESS", type_)
    [webhook_id] = published["webhookIds"]
    found = await webhook(api, subscriber, webhook_id)
    assert (found["entityName"], found["type"]) == ("Process", 2)


async def test_the_webhook_request_carries_the_event(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    created = await register(api, subscriber, receiver.url())
    published = await publish(
        api,
        publisher,
        "Process",
        2,
        42,
        groupKey="orders",
        occurredAt="2025-12-31T23:00:00+01:00",
        data={"name": "Grüße", "items": [1, 2.5, None, True]},
    )
    [webhook_id] = published["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    [request] = receiver.requests
    assert request.headers["webhook-id"] == webhook_id
    assert json.loads(request.body) == {
        "id": webhook_id,
        "registrationId": created["id"],
        "organizationId": "acme",
        "eventId": published["eventId"],
        "entityName": "Process",
        "type": 2,
        "entityId": "42",
        "occurredAt": "2025-12-31T22:00:00Z",
        "data": {"name": "Grüße", "items": [1, 2.5, None, True]},
    }
    found = await webhook(api, subscriber, webhook_id)
    assert found["groupKey"] == "orders"
    assert found["entityId"] == "42"


async def test_same_id_again_answers_the_first_result_and_creates_nothing(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_publisher: dict[str, str],
    other_subscriber: dict[str, str],
) -> None:
    await register(api, subscriber, "http://127.0.0.1/one")
    await register(api, subscriber, "http://127.0.0.1/two")
    await register(api, other_subscriber, "http://127.0.0.1/one")
    first = await publish(api, publisher, id="evt-1")
    assert len(first["webhookIds"]) == 2

    again = await api.post(
        "/api/events",
        headers=publisher,
        json={"id": "evt-1", "entityName": "Process", "type": 2, "entityId": "42"},
    )
    assert again.status_code == 202
    assert again.json() == first
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = (await api.get("/api/webhooks", headers=subscriber)).json()
    assert listed["totalCount"] == 2

    elsewhere = await publish(api, other_publisher, id="evt-1")  # ids are per organization
    assert elsewhere["eventId"] != first["eventId"]
    assert len(elsewhere["webhookIds"]) == 1
    assert (await api.get("/api/webhooks", headers=subscriber)).json()["totalCount"] == 2


@pytest.mark.parametrize(
    "change",
    [
        {"entityName": "Tenant"},
        {"type": 1},
        {"entityId": "43"},
        {"groupKey": "orders"},
        {"occurredAt": "2026-01-01T00:00:00Z"},
        {"data": {"status": "open", "n": 2}},
        {"data": None},
    ],
)
async def test_the_same_id_with_different_content_is_409_naming_the_existing_event(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], change: dict[str, Any]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    event = {
        "id": "evt-1",
        "entityName": "Process",
        "type": 2,
        "entityId": "42",
        "data": {"status": "open", "n": 1},
    }
    first = await publish(
        api, publisher, **{k: v for k, v in event.items() if k not in ("entityName", "type", "entityId")}
    )
    same = await api.post("/api/events", headers=publisher, json=event | {"data": {"n": 1, "status": "open"}})
    assert (same.status_code, same.json()) == (202, first)  # object keys in another order: the same

    answer = await api.post("/api/events", headers=publisher, json=event | change)

    problem = assert_problem(answer, 409)
    assert problem["existingEventId"] == first["eventId"]
    assert "different content" in problem["detail"]
    assert (await api.get("/api/webhooks", headers=subscriber)).json()["totalCount"] == 1


async def test_admin_publishes_for_the_organization_it_names(
    api: httpx.AsyncClient, admin: dict[str, str], subscriber: dict[str, str]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    published = await publish(api, admin, organizationId="acme")
    assert len(published["webhookIds"]) == 1
    unnamed = await api.post(
        "/api/events", headers=admin, json={"entityName": "Process", "type": 2, "entityId": "1"}
    )
    assert "organizationId" in error_fields(unnamed)


async def test_publisher_acts_for_its_own_organization_only(
    api: httpx.AsyncClient, publisher: dict[str, str], other_subscriber: dict[str, str]
) -> None:
    await register(api, other_subscriber, "http://127.0.0.1/hook")
    response = await api.post(
        "/api/events",
        headers=publisher,
        json={"entityName": "Process", "type": 2, "entityId": "1", "organizationId": "globex"},
    )
    assert_problem(response, 403)
    assert (await api.get("/api/webhooks", headers=other_subscriber)).json()["totalCount"] == 0
    own = await publish(api, publisher, organizationId="acme")
    assert own["webhookIds"] == []


async def test_subscriber_may_not_publish(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    response = await api.post(
        "/api/events", headers=subscriber, json={"entityName": "Process", "type": 2, "entityId": "1"}
    )
    assert_problem(response, 403)


async def test_data_up_to_256_kib_is_accepted(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    data = "x" * (DATA_LIMIT - 2)  # with its quotes exactly the limit
    published = await publish(api, publisher, data=data)
    assert len(published["webhookIds"]) == 1


@pytest.mark.parametrize("size", [DATA_LIMIT - 1, DATA_LIMIT * 3])
async def test_data_over_256_kib_is_413(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], size: int
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    response = await api.post(
        "/api/events",
        headers=publisher,
        json={"entityName": "Process", "type": 2, "entityId": "1", "data": "x" * size},
    )
    assert_problem(response, 413)
    assert (await api.get("/api/webhooks", headers=subscriber)).json()["totalCount"] == 0


async def test_multibyte_data_is_measured_in_bytes(api: httpx.AsyncClient, publisher: dict[str, str]) -> None:
    response = await api.post(
        "/api/events",
        headers=publisher,
        json={"entityName": "Process", "type": 2, "entityId": "1", "data": "€" * (DATA_LIMIT // 3 + 1)},
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"entityName": "Spaceship"}, "entityName"),
        ({"entityName": ""}, "entityName"),
        ({"entityName": None}, "entityName"),
        ({"type": "Exploded"}, "type"),
        ({"type": 0}, "type"),
        ({"type": None}, "type"),
        ({"entityId": ""}, "entityId"),
        ({"entityId": None}, "entityId"),
        ({"entityId": "e" * 201}, "entityId"),
        ({"entityId": 1.5}, "entityId"),
        ({"entityId": True}, "entityId"),
        ({"entityId": {"id": 1}}, "entityId"),
        ({"id": ""}, "id"),
        ({"id": "i" * 201}, "id"),
        ({"groupKey": ""}, "groupKey"),
        ({"groupKey": "g" * 401}, "groupKey"),
        ({"occurredAt": "last tuesday"}, "occurredAt"),
        ({"organizationId": "other"}, None),
        ({"extra": 1}, "extra"),
    ],
)
async def test_invalid_event_is_refused(
    api: httpx.AsyncClient, publisher: dict[str, str], changes: dict[str, Any], field: str | None
) -> None:
    body = {"entityName": "Process", "type": 2, "entityId": "1"} | changes
    response = await api.post("/api/events", headers=publisher, json=body)
    if field is None:
        assert_problem(response, 403)
    else:
        assert field in error_fields(response), response.text


async def test_unknown_entity_lists_the_valid_names(
    api: httpx.AsyncClient, publisher: dict[str, str]
) -> None:
    response = await api.post(
        "/api/events", headers=publisher, json={"entityName": "Spaceship", "type": 2, "entityId": "1"}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["field"] == "entityName"
    assert "Process" in body["errors"][0]["message"]


async def test_integer_entity_id_is_accepted_as_text(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    published = await publish(api, publisher, entity_id=1234567890123)
    found = await webhook(api, subscriber, published["webhookIds"][0])
    assert found["entityId"] == "1234567890123"
    assert found["groupKey"] == "Process:1234567890123"


RELATION = {"name": "tenants", "ids": ["t1", "t2"]}


@pytest.mark.parametrize(
    ("event", "fields"),
    [
        ({"type": 4}, {"relation"}),
        ({"type": "AddToRelation"}, {"relation"}),
        ({"type": 6, "relation": None}, {"relation"}),
        ({"type": 2, "relation": RELATION}, {"relation"}),
        ({"type": 1, "relation": RELATION}, {"relation"}),
        ({"type": 4, "relation": {"name": "", "ids": []}}, {"relation.name"}),
        ({"type": 4, "relation": {"ids": ["t1"]}}, {"relation.name"}),
        ({"type": 4, "relation": {"name": "tenants", "ids": [1]}}, {"relation.ids[0]"}),
        ({"type": 4, "relation": {"name": "tenants", "ids": [""]}}, {"relation.ids[0]"}),
        ({"type": 4, "relation": {"name": "tenants", "ids": ["t"] * 1001}}, {"relation.ids"}),
        ({"type": 4, "relation": {"name": "tenants", "ids": "t1"}}, {"relation.ids"}),
        ({"type": 5, "relation": {"name": "tenants", "ids": []}}, {"relation.ids"}),
        ({"type": 6, "relation": {"name": "tenants", "ids": []}}, {"relation.ids"}),
        ({"type": 4, "relation": {"name": "tenants", "ids": ["t1"], "kind": "x"}}, {"relation.kind"}),
    ],
)
async def test_relation_events_need_a_valid_relation_and_other_events_refuse_one(
    api: httpx.AsyncClient, publisher: dict[str, str], event: dict[str, Any], fields: set[str]
) -> None:
    answer = await api.post(
        "/api/events", headers=publisher, json={"entityName": "Process", "entityId": "42"} | event
    )
    assert error_fields(answer) == fields


async def test_a_replace_relation_may_empty_the_list_and_its_relation_is_delivered(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    await register(api, subscriber, receiver.url(), {"entityName": "Process", "type": "ReplaceRelation"})
    relation = {"name": "tenants", "ids": [], "entityName": "Tenant"}
    await publish(
        api, publisher, "Process", "ReplaceRelation", "42", relation=relation, data={"why": "moved"}
    )
    assert await runtime.worker.deliver_due() == 1
    body = json.loads(receiver.requests[0].body)
    assert (body["type"], body["relation"], body["data"]) == (4, relation, {"why": "moved"})
    assert list(body)[-2:] == ["relation", "data"]
