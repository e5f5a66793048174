"""Finding and acting on many: webhook filters by type and time with a sort order, registration
search by URL or description, and POST /api/webhooks/bulk (dry run and real run agree)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.retry import RetryPolicy
from hookline.runtime import Runtime
from tests.api.support import assert_problem, error_fields, iso, publish, register, webhook
from tests.conftest import START, Receiver, Reply


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One attempt per Webhook, so a failing target makes Failed Webhooks at once."""
    return replace(settings, retry_policy=RetryPolicy.parse(""))


async def _ids(api: httpx.AsyncClient, headers: dict[str, str], **query: str) -> list[str]:
    response = await api.get("/api/webhooks", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_webhooks_filter_by_type_and_creation_time_in_either_order(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], clock: FrozenClock
) -> None:
    await register(
        api,
        subscriber,
        "http://127.0.0.1:9/h",
        {"entityName": "Process", "type": 1},
        {"entityName": "Process", "type": 2},
    )
    created = []
    for kind in (1, 2, 2):
        created += (await publish(api, publisher, type_=kind))["webhookIds"]
        clock.advance(timedelta(minutes=10))
    assert await _ids(api, subscriber) == created[::-1]
    assert await _ids(api, subscriber, order="oldest") == created
    assert await _ids(api, subscriber, type="Updated", order="oldest") == created[1:]
    assert await _ids(api, subscriber, type="1") == created[:1]
    second = iso(START + timedelta(minutes=10))
    assert await _ids(api, subscriber, createdAfter=second) == created[:0:-1]  # inclusive
    assert await _ids(api, subscriber, createdBefore=second) == created[:1]  # exclusive
    assert await _ids(
        api, subscriber, createdAfter=second, createdBefore=iso(START + timedelta(minutes=20))
    ) == [created[1]]
    assert (
        await _ids(api, subscriber, createdAfter="2026-01-05T13:10:00+01:00") == created[:0:-1]
    )  # offsets are converted

    for query, field in (
        ({"type": "Renamed"}, "type"),
        ({"createdAfter": "yesterday"}, "createdAfter"),
        ({"createdBefore": "0.5"}, "createdBefore"),  # not seconds since 1970
        ({"order": "random"}, "order"),
        ({"createdAfter": second, "createdBefore": second}, "createdBefore"),
    ):
        assert error_fields(await api.get("/api/webhooks", params=query, headers=subscriber)) == {field}


async def test_registrations_are_found_by_url_or_description_substring(
    api: httpx.AsyncClient, subscriber: dict[str, str], other_subscriber: dict[str, str]
) -> None:
    shop = await register(api, subscriber, "https://127.0.0.1/Shop/orders", description="Order sync")
    crm = await register(api, subscriber, "http://127.0.0.1:9/crm", description="CRM 100% mirror")
    await register(api, other_subscriber, "https://127.0.0.1/shop/other")

    async def found(**body: object) -> list[str]:
        response = await api.post("/api/webhook-registrations/search", json=body, headers=subscriber)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await found(query="shop") == [shop["id"]]  # case-insensitive, own organization only
    assert await found(query="ORDER") == [shop["id"]]  # in the URL and the description
    assert await found(query="sync") == [shop["id"]]
    assert await found(query="100%") == [crm["id"]]  # % and _ are literal
    assert await found(query="1_0") == []
    assert set(await found(query="127.0.0.1")) == {shop["id"], crm["id"]}
    assert await found(query="127.0.0.1", targetUrl="http://127.0.0.1:9/crm") == [crm["id"]]
    search = await api.post("/api/webhook-registrations/search", json={"query": ""}, headers=subscriber)
    assert error_fields(search) == {"query"}


async def _failed(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    count: int,
    **registration: object,
) -> tuple[str, list[str]]:
    receiver.default = Reply(500, "down")
    created = await register(api, subscriber, receiver.url(), **registration)
    ids = [(await publish(api, publisher, entity_id=str(i)))["webhookIds"][0] for i in range(count)]
    assert await runtime.worker.deliver_due() == count
    return created["id"], ids


async def _bulk(api: httpx.AsyncClient, headers: dict[str, str], body: dict[str, object]) -> int:
    response = await api.post("/api/webhooks/bulk", json=body, headers=headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


async def test_bulk_retry_counts_what_it_retries_and_the_dry_run_agrees(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime.hookline, "bulk_batch_size", 2)  # several batches, each its own transaction
    registration_id, failed = await _failed(api, subscriber, publisher, runtime, receiver, 5)
    assert [(await webhook(api, subscriber, i))["state"] for i in failed] == [4] * 5
    await api.post(f"/api/webhooks/{failed[0]}/resolve", headers=subscriber)  # resolved may be retried too

    retry = {"action": "retry", "filter": {"registrationId": registration_id}}
    assert await _bulk(api, subscriber, retry | {"dryRun": True}) == 5
    assert (
        await _bulk(api, subscriber, {"action": "retry", "filter": {"state": "Failed"}, "dryRun": True}) == 4
    )
    assert (
        await _bulk(api, subscriber, {"action": "retry", "filter": {"state": "Pending"}, "dryRun": True}) == 0
    )
    receiver.default = Reply(200)
    assert await _bulk(api, subscriber, retry) == 5
    states = [(await webhook(api, subscriber, i)) for i in failed]
    assert {w["state"] for w in states} == {2}
    # Spread like recover: 20 per second, in creation order, across the batches.
    due = [datetime.fromisoformat(w["nextAttemptAt"]) - clock.now() for w in states]
    assert due == [i * timedelta(milliseconds=50) for i in range(5)]
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 5
    assert {(await webhook(api, subscriber, i))["state"] for i in failed} == {3}
    # Successful ones may be sent again by hand, one by one or in bulk: now all five.
    assert await _bulk(api, subscriber, retry | {"dryRun": True}) == 5


async def test_bulk_abort_and_resolve_take_only_allowed_states_and_release_groups(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(500)
    registration = await register(api, subscriber, receiver.url(), shouldGroup=True)
    ids = [(await publish(api, publisher, entity_id="42"))["webhookIds"][0] for _ in range(3)]
    assert await runtime.worker.deliver_due() == 1  # the head fails; the rest wait behind it
    assert [(await webhook(api, subscriber, i))["state"] for i in ids] == [4, 6, 6]
    head = {"registrationId": registration["id"], "state": "Failed"}
    assert await _bulk(api, subscriber, {"action": "resolve", "filter": head, "dryRun": True}) == 1
    assert await _bulk(api, subscriber, {"action": "resolve", "filter": head}) == 1
    # Resolving the head released the next one of its group.
    assert [(await webhook(api, subscriber, i))["state"] for i in ids] == [7, 1, 6]
    everything = {"action": "abort", "filter": {"registrationId": registration["id"]}}
    assert await _bulk(api, subscriber, everything | {"dryRun": True}) == 2  # not the Resolved one
    assert await _bulk(api, subscriber, everything) == 2
    assert [(await webhook(api, subscriber, i))["state"] for i in ids] == [7, 5, 5]
    assert await _bulk(api, subscriber, everything) == 0
    assert (
        await _bulk(api, subscriber, {"action": "resolve", "filter": {"entityId": 42}}) == 2
    )  # Aborted → Resolved
    assert await runtime.worker.deliver_due() == 0


async def test_bulk_retry_skips_paused_and_inactive_registrations_and_other_organizations(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_subscriber: dict[str, str],
    admin: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    registration_id, _ = await _failed(api, subscriber, publisher, runtime, receiver, 2)
    retry = {"action": "retry", "filter": {"state": "Failed"}, "dryRun": True}
    assert await _bulk(api, other_subscriber, retry) == 0
    assert await _bulk(api, admin, retry | {"filter": {"organizationId": "globex"}}) == 0
    assert await _bulk(api, admin, retry) == 2
    path = f"/api/webhook-registrations/{registration_id}"
    await api.patch(path, json={"isPaused": True}, headers=subscriber)
    assert await _bulk(api, subscriber, retry) == 0  # paused: resume first, as for one retry
    await api.patch(path, json={"isPaused": False}, headers=subscriber)
    assert await _bulk(api, subscriber, retry) == 2
    await api.patch(
        f"/api/webhook-registrations/{registration_id}", json={"isActive": False}, headers=subscriber
    )
    assert await _bulk(api, subscriber, retry) == 0  # deactivation aborted nothing Failed, but it is inactive
    assert await _bulk(api, subscriber, {"action": "resolve", "filter": {"state": "Failed"}}) == 2


async def test_bulk_input_is_checked(
    api: httpx.AsyncClient, subscriber: dict[str, str], other_subscriber: dict[str, str]
) -> None:
    for body, field in (
        ({"action": "delete"}, "action"),
        ({}, "action"),
        ({"action": "retry", "filter": {"state": "Sleeping"}}, "filter.state"),
        ({"action": "retry", "filter": {"type": 9}}, "filter.type"),
        ({"action": "retry", "filter": {"entityName": "Spaceship"}}, "filter.entityName"),
        (
            {
                "action": "retry",
                "filter": {"createdAfter": "2026-01-02T00:00:00Z", "createdBefore": "2026-01-01T00:00:00Z"},
            },
            "filter.createdBefore",
        ),
        ({"action": "retry", "filter": {"unknown": 1}}, "filter.unknown"),
        ({"action": "retry", "dryRun": "maybe"}, "dryRun"),
    ):
        response = await api.post("/api/webhooks/bulk", json=body, headers=subscriber)
        assert error_fields(response) == {field}, (body, response.text)
    forbidden = await api.post(
        "/api/webhooks/bulk",
        json={"action": "retry", "filter": {"organizationId": "acme"}},
        headers=other_subscriber,
    )
    assert_problem(forbidden, 403)
    assert_problem(await api.post("/api/webhooks/bulk", json={"action": "retry"}), 401)
