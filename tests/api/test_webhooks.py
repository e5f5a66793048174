"""/api/webhooks: list with filters, one Webhook, its attempts; abort, resolve and retry by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.api.support import (
    ATTEMPT_EXTENSIONS,
    ATTEMPT_FIELDS,
    WEBHOOK_EXTENSIONS,
    WEBHOOK_FIELDS,
    assert_connection_refused,
    assert_page,
    assert_problem,
    error_fields,
    iso,
    publish,
    register,
    webhook,
)
from tests.conftest import START, Receiver, Reply

RETRY_DELAYS = [
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
]


async def _one_webhook(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], target: str
) -> str:
    await register(api, subscriber, target)
    [webhook_id] = (await publish(api, publisher))["webhookIds"]
    return webhook_id


async def _failed_webhook(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> str:
    """A Webhook that used all 7 attempts against a target answering 500."""
    receiver.default = Reply(500, "down")
    webhook_id = await _one_webhook(api, subscriber, publisher, receiver.url())
    assert await runtime.worker.deliver_due() == 1
    for delay in RETRY_DELAYS:
        clock.advance(delay)
        assert await runtime.worker.deliver_due() == 1
    found = await webhook(api, subscriber, webhook_id)
    assert (found["state"], found["attemptCount"], found["nextAttemptAt"]) == (4, 7, None)
    receiver.default = Reply()
    return webhook_id


# Listing -------------------------------------------------------------------------------------


async def test_list_filters_by_registration_state_entity_and_entity_id(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    processes = await register(api, subscriber, receiver.url("/p"), {"entityName": "Process", "type": 2})
    tenants = await register(api, subscriber, receiver.url("/t"), {"entityName": "Tenant", "type": 1})
    [p1] = (await publish(api, publisher, "Process", 2, "1"))["webhookIds"]
    [p2] = (await publish(api, publisher, "Process", 2, "2"))["webhookIds"]
    [t1] = (await publish(api, publisher, "Tenant", 1, "1"))["webhookIds"]
    assert await runtime.worker.deliver_due() == 3
    [p3] = (await publish(api, publisher, "Process", 2, "1"))["webhookIds"]

    async def listed(**params: object) -> list[str]:
        response = await api.get("/api/webhooks", headers=subscriber, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalCount"] == len(body["items"])
        for item in body["items"]:
            assert set(item) == WEBHOOK_FIELDS | WEBHOOK_EXTENSIONS
        return sorted(item["id"] for item in body["items"])

    assert await listed() == sorted([p1, p2, t1, p3])
    assert await listed(registrationId=processes["id"]) == sorted([p1, p2, p3])
    assert await listed(registrationId=tenants["id"]) == [t1]
    assert await listed(registrationId="reg_missing") == []
    assert await listed(state=3) == sorted([p1, p2, t1])
    assert await listed(state="successful") == sorted([p1, p2, t1])
    assert await listed(state="Created") == [p3]
    assert await listed(state="1") == [p3]
    assert await listed(state="Failed") == []
    assert await listed(entityName="Tenant") == [t1]
    assert await listed(entityName="process") == sorted([p1, p2, p3])
    assert await listed(entityId="1") == sorted([p1, t1, p3])
    assert await listed(entityName="Process", entityId="1", state=3) == [p1]


async def test_list_is_paged_newest_first(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], clock: FrozenClock
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    ids = []
    for index in range(5):
        ids += (await publish(api, publisher, entity_id=str(index)))["webhookIds"]
        clock.advance(timedelta(seconds=1))
    first = await api.get("/api/webhooks", headers=subscriber, params={"pageSize": 2})
    assert_page(first.json(), page_number=1, page_size=2, total_count=5, items=2)
    second = await api.get("/api/webhooks", headers=subscriber, params={"pageSize": 2, "pageNumber": 2})
    assert_page(second.json(), page_number=2, page_size=2, total_count=5, items=2)
    third = await api.get("/api/webhooks", headers=subscriber, params={"pageSize": 2, "pageNumber": 3})
    assert_page(third.json(), page_number=3, page_size=2, total_count=5, items=1)
    order = [item["id"] for page in (first, second, third) for item in page.json()["items"]]
    assert order == ids[::-1]
    assert (await api.get("/api/webhooks", headers=subscriber, params={"pageSize": 500})).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "Exploded"}, "state"),
        ({"state": 8}, "state"),
        ({"entityName": "Spaceship"}, "entityName"),
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": 501}, "pageSize"),
        ({"pageNumber": 0}, "pageNumber"),
    ],
)
async def test_invalid_filters_are_422(
    api: httpx.AsyncClient, subscriber: dict[str, str], params: dict[str, object], field: str
) -> None:
    assert field in error_fields(await api.get("/api/webhooks", headers=subscriber, params=params))


async def test_publisher_may_not_read_webhooks(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    webhook_id = await _one_webhook(api, subscriber, publisher, "http://127.0.0.1/hook")
    for method, path in [
        ("GET", "/api/webhooks"),
        ("GET", f"/api/webhooks/{webhook_id}"),
        ("GET", f"/api/webhooks/{webhook_id}/webhook-attempts"),
        ("POST", f"/api/webhooks/{webhook_id}/abort"),
        ("POST", f"/api/webhooks/{webhook_id}/resolve"),
        ("POST", f"/api/webhooks/{webhook_id}/retry"),
    ]:
        assert_problem(await api.request(method, path, headers=publisher), 403)
    assert (await webhook(api, subscriber, webhook_id))["state"] == 1


async def test_admin_reads_every_organization_and_may_narrow_to_one(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_subscriber: dict[str, str],
    other_publisher: dict[str, str],
) -> None:
    mine = await _one_webhook(api, subscriber, publisher, "http://127.0.0.1/hook")
    theirs = await _one_webhook(api, other_subscriber, other_publisher, "http://127.0.0.1/hook")
    everything = (await api.get("/api/webhooks", headers=admin)).json()
    assert sorted(item["id"] for item in everything["items"]) == sorted([mine, theirs])
    narrowed = (await api.get("/api/webhooks", headers=admin, params={"organizationId": "globex"})).json()
    assert [item["id"] for item in narrowed["items"]] == [theirs]
    assert (await api.get(f"/api/webhooks/{mine}", headers=admin)).status_code == 200


async def test_unknown_webhook_is_404(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    for method, suffix in [
        ("GET", ""),
        ("GET", "/webhook-attempts"),
        ("POST", "/abort"),
        ("POST", "/resolve"),
        ("POST", "/retry"),
    ]:
        assert_problem(
            await api.request(method, f"/api/webhooks/wh_missing{suffix}", headers=subscriber), 404
        )


# Attempts ------------------------------------------------------------------------------------


async def test_attempts_are_listed_oldest_first_with_their_outcome(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    webhook_id = await _one_webhook(api, subscriber, publisher, receiver.url())
    receiver.reply(Reply(500, "x" * 10_000), Reply(503, "busy"), Reply(200, "done"))
    assert await runtime.worker.deliver_due() == 1
    retrying = await webhook(api, subscriber, webhook_id)
    assert retrying["state"] == 2
    assert retrying["attemptCount"] == 1
    assert retrying["nextAttemptAt"] == iso(START + timedelta(minutes=5))
    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 1
    clock.advance(timedelta(minutes=15))
    assert await runtime.worker.deliver_due() == 1
    done = await webhook(api, subscriber, webhook_id)
    assert (done["state"], done["attemptCount"], done["nextAttemptAt"]) == (3, 3, None)

    response = await api.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=subscriber)
    assert response.status_code == 200
    body = response.json()
    assert_page(body, page_number=1, page_size=50, total_count=3, items=3)
    first, second, third = body["items"]
    for attempt in body["items"]:
        assert set(attempt) == ATTEMPT_FIELDS | ATTEMPT_EXTENSIONS
        assert isinstance(attempt["durationMs"], int) and attempt["durationMs"] >= 0
        assert attempt["id"]
    assert [a["attemptNumber"] for a in body["items"]] == [1, 2, 3]
    assert [a["startedAt"] for a in body["items"]] == [
        iso(START),
        iso(START + timedelta(minutes=5)),
        iso(START + timedelta(minutes=20)),
    ]
    assert [a["responseStatus"] for a in body["items"]] == [500, 503, 200]
    assert [a["succeeded"] for a in body["items"]] == [False, False, True]
    assert first["responseBody"] == "x" * 4096
    assert second["responseBody"] == "busy"
    assert third["responseBody"] == "done"
    assert third["error"] is None

    paged = await api.get(
        f"/api/webhooks/{webhook_id}/webhook-attempts",
        headers=subscriber,
        params={"pageSize": 2, "pageNumber": 2},
    )
    assert_page(paged.json(), page_number=2, page_size=2, total_count=3, items=1)
    assert paged.json()["items"][0]["attemptNumber"] == 3


async def test_attempt_error_names_the_failure(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], runtime: Runtime
) -> None:
    webhook_id = await _one_webhook(api, subscriber, publisher, "http://127.0.0.1:9/hook")
    assert await runtime.worker.deliver_due() == 1
    [attempt] = (await api.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=subscriber)).json()[
        "items"
    ]
    assert_connection_refused(attempt)


async def test_a_webhook_without_attempts_lists_none(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    webhook_id = await _one_webhook(api, subscriber, publisher, "http://127.0.0.1/hook")
    response = await api.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=subscriber)
    assert_page(response.json(), page_number=1, page_size=50, total_count=0, items=0)


# Abort, resolve, retry -----------------------------------------------------------------------


async def test_abort_a_created_webhook(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    clock: FrozenClock,
) -> None:
    webhook_id = await _one_webhook(api, subscriber, publisher, "http://127.0.0.1/hook")
    clock.advance(timedelta(seconds=3))
    response = await api.post(f"/api/webhooks/{webhook_id}/abort", headers=subscriber)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == WEBHOOK_FIELDS | WEBHOOK_EXTENSIONS
    assert body["state"] == 5
    assert body["nextAttemptAt"] is None
    assert body["updatedAt"] == iso(clock.now())
    assert await runtime.worker.deliver_due() == 0
    again = await api.post(f"/api/webhooks/{webhook_id}/abort", headers=subscriber)
    assert again.status_code == 200
    assert again.json()["state"] == 5


async def test_abort_is_409_from_successful_and_resolved(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    await register(api, subscriber, receiver.url())
    [successful] = (await publish(api, publisher, entity_id="1"))["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    [resolved] = (await publish(api, publisher, entity_id="2"))["webhookIds"]
    assert (await api.post(f"/api/webhooks/{resolved}/resolve", headers=subscriber)).json()["state"] == 7

    for webhook_id, state in [(successful, 3), (resolved, 7)]:
        assert_problem(await api.post(f"/api/webhooks/{webhook_id}/abort", headers=subscriber), 409)
        assert (await webhook(api, subscriber, webhook_id))["state"] == state


async def test_resolve_from_failed_created_and_aborted(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    failed = await _failed_webhook(api, subscriber, publisher, runtime, receiver, clock)
    response = await api.post(f"/api/webhooks/{failed}/resolve", headers=subscriber)
    assert response.status_code == 200
    assert response.json()["state"] == 7

    [created] = (await publish(api, publisher, entity_id="2"))["webhookIds"]
    assert (await api.post(f"/api/webhooks/{created}/resolve", headers=subscriber)).json()["state"] == 7
    [aborted] = (await publish(api, publisher, entity_id="3"))["webhookIds"]
    await api.post(f"/api/webhooks/{aborted}/abort", headers=subscriber)
    assert (await api.post(f"/api/webhooks/{aborted}/resolve", headers=subscriber)).json()["state"] == 7
    assert (await api.post(f"/api/webhooks/{aborted}/resolve", headers=subscriber)).json()["state"] == 7


async def test_resolve_is_409_from_successful(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    webhook_id = await _one_webhook(api, subscriber, publisher, receiver.url())
    assert await runtime.worker.deliver_due() == 1
    body = assert_problem(await api.post(f"/api/webhooks/{webhook_id}/resolve", headers=subscriber), 409)
    assert body["state"] == 3
    assert (await webhook(api, subscriber, webhook_id))["state"] == 3


async def test_retry_a_failed_webhook_gives_exactly_one_more_attempt(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    webhook_id = await _failed_webhook(api, subscriber, publisher, runtime, receiver, clock)
    clock.advance(timedelta(hours=1))

    response = await api.post(f"/api/webhooks/{webhook_id}/retry", headers=subscriber)
    assert response.status_code == 200
    assert response.json()["state"] == 2
    assert response.json()["nextAttemptAt"] == iso(clock.now())
    receiver.reply(Reply(500, "still down"))
    assert await runtime.worker.deliver_due() == 1
    failed = await webhook(api, subscriber, webhook_id)
    assert (failed["state"], failed["attemptCount"], failed["nextAttemptAt"]) == (4, 8, None)

    assert (await api.post(f"/api/webhooks/{webhook_id}/retry", headers=subscriber)).json()["state"] == 2
    assert await runtime.worker.deliver_due() == 1
    succeeded = await webhook(api, subscriber, webhook_id)
    assert (succeeded["state"], succeeded["attemptCount"]) == (3, 9)
    attempts = (await api.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=subscriber)).json()
    assert [a["attemptNumber"] for a in attempts["items"]] == list(range(1, 10))


@pytest.mark.parametrize("prepare", ["successful", "aborted", "resolved"])
async def test_retry_works_from_any_state(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    prepare: str,
) -> None:
    webhook_id = await _one_webhook(api, subscriber, publisher, receiver.url())
    if prepare == "successful":
        assert await runtime.worker.deliver_due() == 1
    else:
        action = "abort" if prepare == "aborted" else "resolve"
        assert (await api.post(f"/api/webhooks/{webhook_id}/{action}", headers=subscriber)).status_code == 200
    before: dict[str, Any] = await webhook(api, subscriber, webhook_id)

    response = await api.post(f"/api/webhooks/{webhook_id}/retry", headers=subscriber)
    assert response.status_code == 200
    assert response.json()["state"] == 2
    assert await runtime.worker.deliver_due() == 1
    after = await webhook(api, subscriber, webhook_id)
    assert after["state"] == 3
    assert after["attemptCount"] == before["attemptCount"] + 1
    assert receiver.requests[-1].headers["webhook-id"] == webhook_id
