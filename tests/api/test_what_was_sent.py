"""What was sent: each attempt's request headers (secrets masked) and response headers, the
Webhook's payload, and the event view with every Webhook an event made."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import httpx

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.api.support import (
    WEBHOOK_DETAIL_FIELDS,
    WEBHOOK_EXTENSIONS,
    WEBHOOK_FIELDS,
    assert_problem,
    attempts,
    publish,
    register,
    webhook,
)
from tests.conftest import Receiver, Reply

PASSWORD = "s3cret-pa55word"


async def test_an_attempt_keeps_the_request_headers_as_sent_with_secrets_masked(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    registration = await register(
        api,
        subscriber,
        receiver.url(),
        targetAuthorization={"authorizationType": "Basic", "username": "alice", "password": PASSWORD},
    )
    await api.post(f"/api/webhook-registrations/{registration['id']}/rotate-secret", headers=subscriber)
    receiver.reply(Reply(202, "queued", headers={"X-Receipt": "r-17", "Retry-After": "0"}))
    [webhook_id] = (await publish(api, publisher))["webhookIds"]
    assert await runtime.worker.deliver_due() == 1

    [received] = receiver.requests
    response = await api.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=subscriber)
    [attempt] = response.json()["items"]
    sent = attempt["requestHeaders"]
    # Exactly what the receiver got, header for header, except the masked values.
    assert {name.lower() for name in sent} == {name.lower() for name in received.headers}
    for name, value in sent.items():
        if name.lower() not in ("webhook-signature", "authorization"):
            assert received.headers[name] == value
    assert sent["webhook-id"] == webhook_id
    assert sent["webhook-timestamp"] == str(int(clock.now().timestamp()))
    assert sent["Content-Type"] == "application/json"
    assert sent["Content-Length"] == str(len(received.body))
    assert sent["User-Agent"].startswith("hookline/")
    # Rotated: the new and the retired secret both sign, and both signatures are masked.
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert sent["webhook-signature"] == "v1,••• v1,•••"
    assert sent["Authorization"] == "Basic •••"
    assert attempt["responseHeaders"]["X-Receipt"] == "r-17"
    assert attempt["responseHeaders"]["Content-Length"] == str(len("queued"))
    # Neither the password (nor its base64 form) nor a signature is in the answer.
    credentials = received.headers["Authorization"].removeprefix("Basic ")
    for secret in (PASSWORD, credentials, *received.headers["webhook-signature"].split(" ")):
        assert secret not in response.text


async def test_an_attempt_without_a_response_has_request_headers_and_no_response_headers(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    await register(api, subscriber, f"http://127.0.0.1:{port}/gone")
    [webhook_id] = (await publish(api, publisher))["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    [attempt] = await attempts(api, subscriber, webhook_id)
    assert attempt["error"] == "connection refused"
    assert attempt["responseHeaders"] is None
    sent = attempt["requestHeaders"]
    assert isinstance(sent, dict)
    assert sent["webhook-id"] == webhook_id
    assert sent["webhook-signature"] == "v1,•••"


async def test_response_headers_are_bounded_in_count_and_size(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    many = {f"X-Header-{i:03d}": "v" * 300 for i in range(80)}
    receiver.reply(Reply(200, "ok", headers=many | {"X-Huge": "h" * 5000}))
    await register(api, subscriber, receiver.url())
    [webhook_id] = (await publish(api, publisher))["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    [attempt] = await attempts(api, subscriber, webhook_id)
    kept = attempt["responseHeaders"]
    assert isinstance(kept, dict)
    assert 0 < len(kept) <= 50
    assert sum(len(name) + len(value) for name, value in kept.items()) <= 8192
    assert all(len(value) <= 1024 for value in kept.values())
    assert "X-Header-000" in kept  # the first ones are kept, in order


async def test_the_test_webhook_answer_shows_its_masked_request_headers(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    registration = await register(
        api,
        subscriber,
        receiver.url(),
        targetAuthorization={"authorizationType": "Basic", "username": "alice", "password": PASSWORD},
    )
    response = await api.post(f"/api/webhook-registrations/{registration['id']}/test", headers=subscriber)
    assert response.status_code == 200, response.text
    attempt = response.json()
    assert attempt["requestHeaders"]["Authorization"] == "Basic •••"
    assert attempt["requestHeaders"]["webhook-signature"] == "v1,•••"
    assert attempt["responseHeaders"]["Content-Length"] == "2"
    assert PASSWORD not in response.text


async def test_a_webhook_shows_the_payload_it_will_send_and_then_sent(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    await register(api, subscriber, receiver.url())
    data = {"name": "Zürich", "nested": {"n": [1, 2.5, None]}}
    [webhook_id] = (
        await publish(api, publisher, entity_id="7", occurredAt="2026-11-29T12:00:00Z", data=data)
    )["webhookIds"]
    before = await webhook(api, subscriber, webhook_id)
    assert set(before) == WEBHOOK_FIELDS | WEBHOOK_EXTENSIONS | WEBHOOK_DETAIL_FIELDS
    assert before["blockedBy"] is None
    assert await runtime.worker.deliver_due() == 1
    [received] = receiver.requests
    after = await webhook(api, subscriber, webhook_id)
    assert before["payload"] == after["payload"] == json.loads(received.body)
    # The same keys in the same order: re-serialized compactly, it is the body byte for byte.
    compact = json.dumps(after["payload"], ensure_ascii=False, separators=(",", ":")).encode()
    assert compact == received.body


async def test_an_event_shows_every_webhook_it_made_and_only_to_its_organization(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_subscriber: dict[str, str],
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    first = await register(api, subscriber, receiver.url("/a"))
    second = await register(api, subscriber, receiver.url("/b"))
    published = await publish(
        api, publisher, entity_id="9", id="order-9", groupKey="orders", data={"total": 12}
    )
    clock.advance(timedelta(seconds=1))
    response = await api.get(f"/api/events/{published['eventId']}", headers=subscriber)
    assert response.status_code == 200, response.text
    event = response.json()
    assert {key: event[key] for key in event if key != "webhooks"} == {
        "id": published["eventId"],
        "organizationId": "acme",
        "idempotencyId": "order-9",
        "entityName": "Process",
        "type": 2,
        "entityId": "9",
        "groupKey": "orders",
        "occurredAt": event["createdAt"],
        "createdAt": event["createdAt"],
        "data": {"total": 12},
        "relation": None,
    }
    assert [w["id"] for w in event["webhooks"]] == published["webhookIds"]
    assert {w["registrationId"] for w in event["webhooks"]} == {first["id"], second["id"]}
    assert all(set(w) == WEBHOOK_FIELDS | WEBHOOK_EXTENSIONS for w in event["webhooks"])

    hidden = await api.get(f"/api/events/{published['eventId']}", headers=other_subscriber)
    assert_problem(hidden, 404)
    assert_problem(await api.get("/api/events/evt_unknown", headers=subscriber), 404)
    assert_problem(await api.get(f"/api/events/{published['eventId']}"), 401)


async def test_a_relation_events_payload_and_event_carry_its_relation(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    await register(api, subscriber, receiver.url(), {"entityName": "Process", "type": 5})
    relation = {"name": "tenants", "ids": ["t1", "t2"]}
    published = await publish(api, publisher, type_="AddToRelation", relation=relation)
    [webhook_id] = published["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    [received] = receiver.requests
    payload = (await webhook(api, subscriber, webhook_id))["payload"]
    assert payload == json.loads(received.body)
    assert payload["relation"] == relation
    event = (await api.get(f"/api/events/{published['eventId']}", headers=subscriber)).json()
    assert event["relation"] == relation
