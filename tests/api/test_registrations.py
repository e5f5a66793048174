"""/api/webhook-registrations: create, read, change, delete, search, rotate, test, recover."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from hookline.service import RECOVER_RATE_PER_S
from tests.api.support import (
    PROCESS_UPDATED,
    REGISTRATION_FIELDS,
    FrozenWebhook,
    assert_connection_refused,
    assert_page,
    assert_problem,
    error_fields,
    iso,
    publish,
    register,
    registration_body,
    webhook,
)
from tests.conftest import START, Receiver, Reply

PASSWORD = "pa55-Never-Shown-7f3a"
REFUSED_URL = "http://127.0.0.1:9/hook"  # the discard port: nothing listens there


@pytest.fixture
async def bodies(api: httpx.AsyncClient) -> AsyncIterator[list[str]]:
    """The text of every response the `api` client receives during the test."""
    seen: list[str] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        seen.append(response.text)

    api.event_hooks["response"].append(record)
    yield seen
    api.event_hooks["response"].remove(record)


# Create --------------------------------------------------------------------------------------


async def test_create_answers_the_registration_with_its_signing_secret(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver, bodies: list[str]
) -> None:
    expires = START + timedelta(days=30)
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json={
            "targetUrl": receiver.url(),
            "enabledEvents": [
                {"entityName": "process", "type": "updated"},
                {"entityName": "WorkOrder", "type": "ADD_TO_RELATION"},
                {"entityName": "Tenant", "type": "1"},
            ],
            "shouldGroup": True,
            "shouldGroupContinueAfterFail": True,
            "coalesceUpdates": True,
            "targetAuthorization": {"authorizationType": "basic", "username": "bob", "password": PASSWORD},
            "description": "orders to the ERP",
            "expiresAt": expires.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == REGISTRATION_FIELDS | {"signingSecret"}
    assert created["id"]
    assert created["organizationId"] == "acme"
    assert created["targetUrl"] == receiver.url()
    assert created["description"] == "orders to the ERP"
    assert sorted((e["entityName"], e["type"]) for e in created["enabledEvents"]) == [
        ("Process", 2),
        ("Tenant", 1),
        ("WorkOrder", 5),
    ]
    for event in created["enabledEvents"]:
        assert set(event) == {"id", "entityName", "type", "filter"}
        assert event["filter"] is None
    assert len({e["id"] for e in created["enabledEvents"]}) == 3
    assert created["shouldGroup"] is True
    assert created["shouldGroupContinueAfterFail"] is True
    assert created["coalesceUpdates"] is True
    assert created["failingSince"] is None
    assert created["targetAuthorization"] == {"authorizationType": 1, "username": "bob"}
    assert created["isActive"] is True
    assert created["disabledReason"] is None
    assert created["expiresAt"] == iso(expires)
    assert created["signatureScheme"] == "v1" and created["signingPublicKey"] is None
    assert created["createdAt"] == created["updatedAt"] == iso(START)
    secret = created["signingSecret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24

    read = await api.get(f"/api/webhook-registrations/{created['id']}", headers=subscriber)
    assert read.status_code == 200
    assert read.json() == {key: value for key, value in created.items() if key != "signingSecret"}
    assert secret not in read.text
    assert len(bodies) == 2
    assert all(PASSWORD not in body for body in bodies)


async def test_defaults_are_applied(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    created = await register(api, subscriber, "http://127.0.0.1/hook")
    assert created["shouldGroup"] is False
    assert created["shouldGroupContinueAfterFail"] is False
    assert created["coalesceUpdates"] is False
    assert created["targetAuthorization"] == {"authorizationType": 0, "username": None}
    assert created["description"] is None
    assert created["expiresAt"] is None


@pytest.mark.parametrize("type_", [2, "2", "Updated", "updated", "UPDATED", " updated "])
async def test_event_type_is_accepted_as_id_or_name(
    api: httpx.AsyncClient, subscriber: dict[str, str], type_: object
) -> None:
    created = await register(
        api, subscriber, "http://127.0.0.1/hook", {"entityName": "Process", "type": type_}
    )
    assert [(e["entityName"], e["type"]) for e in created["enabledEvents"]] == [("Process", 2)]


@pytest.mark.parametrize("auth_type", [0, "none", "None", "NONE"])
async def test_authorization_type_none_is_accepted_as_id_or_name(
    api: httpx.AsyncClient, subscriber: dict[str, str], auth_type: object
) -> None:
    created = await register(
        api, subscriber, "http://127.0.0.1/hook", targetAuthorization={"authorizationType": auth_type}
    )
    assert created["targetAuthorization"] == {"authorizationType": 0, "username": None}


async def test_admin_creates_for_the_organization_it_names(
    api: httpx.AsyncClient, admin: dict[str, str], subscriber: dict[str, str]
) -> None:
    created = await register(api, admin, "http://127.0.0.1/hook", organizationId="acme")
    assert created["organizationId"] == "acme"
    seen = await api.get(f"/api/webhook-registrations/{created['id']}", headers=subscriber)
    assert seen.status_code == 200

    unnamed = await api.post(
        "/api/webhook-registrations", headers=admin, json=registration_body("http://127.0.0.1/other")
    )
    assert "organizationId" in error_fields(unnamed)


async def test_subscriber_may_name_its_own_organization_only(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    own = await register(api, subscriber, "http://127.0.0.1/hook", organizationId="acme")
    assert own["organizationId"] == "acme"
    foreign = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body("http://127.0.0.1/other", organizationId="globex"),
    )
    assert_problem(foreign, 403)


async def test_publisher_may_not_manage_registrations(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    created = await register(api, subscriber, "http://127.0.0.1/hook")
    path = f"/api/webhook-registrations/{created['id']}"
    for method, url, body in [
        ("POST", "/api/webhook-registrations", registration_body("http://127.0.0.1/x")),
        ("GET", "/api/webhook-registrations", None),
        ("POST", "/api/webhook-registrations/search", {}),
        ("GET", path, None),
        ("PATCH", path, {"description": "x"}),
        ("DELETE", path, None),
        ("POST", f"{path}/rotate-secret", None),
        ("GET", f"{path}/webhooks", None),
        ("POST", f"{path}/test", None),
        ("POST", f"{path}/recover", {"since": START.isoformat()}),
    ]:
        response = await api.request(method, url, headers=publisher, json=body)
        assert_problem(response, 403)
    assert (await api.get(path, headers=subscriber)).json()["description"] is None


# Duplicates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://127.0.0.1/hook", "http://127.0.0.1/hook"),
        ("http://127.0.0.1/hook", "HTTP://127.0.0.1:80/hook"),
        ("https://127.0.0.1/hook", "HTTPS://127.0.0.1:443/hook"),
        ("http://localhost/hook", "http://LocalHost/hook"),
        ("http://127.0.0.1:8080/hook?a=1", "Http://127.0.0.1:8080/hook?a=1"),
    ],
)
async def test_identical_active_registration_is_409_with_existing_id(
    api: httpx.AsyncClient, subscriber: dict[str, str], first: str, second: str
) -> None:
    created = await register(
        api,
        subscriber,
        first,
        {"entityName": "Process", "type": 1},
        {"entityName": "Tenant", "type": 3},
    )
    again = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body(
            second, {"entityName": "tenant", "type": "Deleted"}, {"entityName": "Process", "type": 1}
        ),
    )
    body = assert_problem(again, 409)
    assert body["existingId"] == created["id"]
    listed = (await api.get("/api/webhook-registrations", headers=subscriber)).json()
    assert listed["totalCount"] == 1


@pytest.mark.parametrize(
    "second",
    [
        registration_body("http://127.0.0.1/Hook"),
        registration_body("http://127.0.0.1:8080/hook"),
        registration_body("http://127.0.0.1/hook", {"entityName": "Process", "type": 1}),
        registration_body("http://127.0.0.1/hook", PROCESS_UPDATED, {"entityName": "Process", "type": 1}),
        registration_body(
            "http://127.0.0.1/hook",
            targetAuthorization={"authorizationType": 1, "username": "bob", "password": "pw"},
        ),
    ],
    ids=["path-case", "port", "other-event", "more-events", "authorization"],
)
async def test_different_registrations_are_not_duplicates(
    api: httpx.AsyncClient, subscriber: dict[str, str], second: dict[str, Any]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    response = await api.post("/api/webhook-registrations", headers=subscriber, json=second)
    assert response.status_code == 201, response.text


async def test_inactive_or_deleted_registration_is_no_duplicate(
    api: httpx.AsyncClient, subscriber: dict[str, str], other_subscriber: dict[str, str]
) -> None:
    first = await register(api, subscriber, "http://127.0.0.1/hook")
    patched = await api.patch(
        f"/api/webhook-registrations/{first['id']}", headers=subscriber, json={"isActive": False}
    )
    assert patched.status_code == 200
    second = await register(api, subscriber, "http://127.0.0.1/hook")
    deleted = await api.delete(f"/api/webhook-registrations/{second['id']}", headers=subscriber)
    assert deleted.status_code == 204
    await register(api, subscriber, "http://127.0.0.1/hook")
    await register(api, other_subscriber, "http://127.0.0.1/hook")  # another organization

    reactivated = await api.patch(
        f"/api/webhook-registrations/{first['id']}", headers=subscriber, json={"isActive": True}
    )
    assert_problem(reactivated, 409)


# Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"targetUrl": "/hook"}, "targetUrl"),
        ({"targetUrl": "127.0.0.1/hook"}, "targetUrl"),
        ({"targetUrl": "ftp://127.0.0.1/hook"}, "targetUrl"),
        ({"targetUrl": "http://127.0.0.1/" + "a" * 2048}, "targetUrl"),
        ({"targetUrl": "http://user:pass@127.0.0.1/hook"}, "targetUrl"),
        ({"targetUrl": "http://user@127.0.0.1/hook"}, "targetUrl"),
        ({"targetUrl": ""}, "targetUrl"),
        ({"targetUrl": "http://127.0.0.1/a b"}, "targetUrl"),
        ({"targetUrl": "http://10.1.2.3/hook"}, "targetUrl"),
        ({"targetUrl": "http://169.254.169.254/latest"}, "targetUrl"),
        ({"targetUrl": None}, "targetUrl"),
        ({"targetUrl": 42}, "targetUrl"),
        ({"enabledEvents": []}, "enabledEvents"),
        ({"enabledEvents": None}, "enabledEvents"),
        ({"enabledEvents": [{"entityName": "Process"}]}, "enabledEvents[0].type"),
        ({"enabledEvents": [{"entityName": "Process", "type": "Exploded"}]}, "enabledEvents[0].type"),
        ({"enabledEvents": [{"entityName": "Process", "type": 0}]}, "enabledEvents[0].type"),
        ({"enabledEvents": [{"entityName": "Process", "type": 7}]}, "enabledEvents[0].type"),
        ({"enabledEvents": [{"entityName": "Process", "type": True}]}, "enabledEvents[0].type"),
        ({"enabledEvents": [{"entityName": "Process", "type": 2.5}]}, "enabledEvents[0].type"),
        ({"enabledEvents": [{"entityName": "", "type": 1}]}, "enabledEvents[0].entityName"),
        (
            {"enabledEvents": [PROCESS_UPDATED, {"entityName": "process", "type": "updated"}]},
            "enabledEvents[1]",
        ),
        (
            {"targetAuthorization": {"authorizationType": 1, "username": "bob"}},
            "targetAuthorization.password",
        ),
        (
            {"targetAuthorization": {"authorizationType": "Basic", "username": "bob", "password": ""}},
            "targetAuthorization.password",
        ),
        ({"targetAuthorization": {"authorizationType": 1, "password": "pw"}}, "targetAuthorization.username"),
        (
            {"targetAuthorization": {"authorizationType": 1, "username": "a:b", "password": "pw"}},
            "targetAuthorization.username",
        ),
        ({"targetAuthorization": {"authorizationType": 0, "password": "pw"}}, "targetAuthorization"),
        ({"targetAuthorization": {"authorizationType": 9}}, "targetAuthorization.authorizationType"),
        ({"targetAuthorization": {"authorizationType": "Digest"}}, "targetAuthorization.authorizationType"),
        ({"targetAuthorization": {"authorizationType": "Bearer"}}, "targetAuthorization.token"),
        ({"expiresAt": (START - timedelta(seconds=1)).isoformat()}, "expiresAt"),
        ({"expiresAt": "tomorrow"}, "expiresAt"),
        ({"description": "d" * 1001}, "description"),
        ({"shouldGroup": None}, "shouldGroup"),
        ({"shouldGroup": "maybe"}, "shouldGroup"),
        ({"unknownField": 1}, "unknownField"),
    ],
)
async def test_invalid_registration_is_422_naming_the_field(
    api: httpx.AsyncClient, subscriber: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    body = registration_body("http://127.0.0.1/hook") | changes
    response = await api.post("/api/webhook-registrations", headers=subscriber, json=body)
    assert field in error_fields(response), response.text
    assert (await api.get("/api/webhook-registrations", headers=subscriber)).json()["totalCount"] == 0


async def test_unknown_entity_name_lists_the_valid_names(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body("http://127.0.0.1/hook", {"entityName": "Spaceship", "type": 1}),
    )
    body = assert_problem(response, 422)
    [error] = body["errors"]
    assert error["field"] == "enabledEvents[0].entityName"
    assert "Spaceship" in error["message"]
    for name in ("Account", "Process", "WorkOrder", "VotingGroup"):
        assert name in error["message"]


async def test_every_invalid_field_is_reported_at_once(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json={
            "targetUrl": "ftp://127.0.0.1/x",
            "enabledEvents": [{"entityName": "Spaceship", "type": 1}],
            "targetAuthorization": {"authorizationType": 1, "username": "bob"},
        },
    )
    assert error_fields(response) == {
        "targetUrl",
        "enabledEvents[0].entityName",
        "targetAuthorization.password",
    }


# Read and list -------------------------------------------------------------------------------


async def test_list_is_paged_oldest_first(
    api: httpx.AsyncClient, subscriber: dict[str, str], clock: FrozenClock
) -> None:
    ids = []
    for index in range(5):
        ids.append((await register(api, subscriber, f"http://127.0.0.1/hook{index}"))["id"])
        clock.advance(timedelta(seconds=1))
    first = await api.get("/api/webhook-registrations", headers=subscriber, params={"pageSize": 2})
    assert first.status_code == 200
    assert_page(first.json(), page_number=1, page_size=2, total_count=5, items=2)
    second = await api.get(
        "/api/webhook-registrations", headers=subscriber, params={"pageSize": 2, "pageNumber": 2}
    )
    assert_page(second.json(), page_number=2, page_size=2, total_count=5, items=2)
    third = await api.get(
        "/api/webhook-registrations", headers=subscriber, params={"pageSize": 2, "pageNumber": 3}
    )
    assert_page(third.json(), page_number=3, page_size=2, total_count=5, items=1)
    beyond = await api.get(
        "/api/webhook-registrations", headers=subscriber, params={"pageSize": 2, "pageNumber": 4}
    )
    assert beyond.status_code == 200
    assert beyond.json()["items"] == []
    assert beyond.json()["hasNextPage"] is False
    listed = [item["id"] for page in (first, second, third) for item in page.json()["items"]]
    assert listed == ids
    for item in first.json()["items"]:
        assert set(item) == REGISTRATION_FIELDS


async def test_list_defaults_to_pages_of_50(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    body = (await api.get("/api/webhook-registrations", headers=subscriber)).json()
    assert_page(body, page_number=1, page_size=50, total_count=1, items=1)


@pytest.mark.parametrize(
    "params",
    [{"pageSize": 0}, {"pageSize": 501}, {"pageSize": -1}, {"pageNumber": 0}, {"pageSize": "ten"}],
)
async def test_page_parameters_out_of_range_are_422(
    api: httpx.AsyncClient, subscriber: dict[str, str], params: dict[str, object]
) -> None:
    response = await api.get("/api/webhook-registrations", headers=subscriber, params=params)
    assert error_fields(response) == set(params)


async def test_page_size_500_is_allowed(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    response = await api.get("/api/webhook-registrations", headers=subscriber, params={"pageSize": 500})
    assert response.status_code == 200
    assert_page(response.json(), page_number=1, page_size=500, total_count=0, items=0)


async def test_unknown_registration_is_404(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"description": "x"}),
        ("DELETE", "", None),
        ("POST", "/rotate-secret", None),
        ("GET", "/webhooks", None),
        ("POST", "/test", None),
        ("POST", "/recover", {"since": START.isoformat()}),
    ]:
        response = await api.request(
            method, f"/api/webhook-registrations/reg_missing{suffix}", headers=subscriber, json=body
        )
        assert_problem(response, 404)


# Change --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"targetUrl": "http://127.0.0.1:8080/new"}, {"targetUrl": "http://127.0.0.1:8080/new"}),
        ({"shouldGroup": True}, {"shouldGroup": True}),
        ({"shouldGroupContinueAfterFail": True}, {"shouldGroupContinueAfterFail": True}),
        ({"coalesceUpdates": True}, {"coalesceUpdates": True}),
        ({"description": "now described"}, {"description": "now described"}),
        ({"description": None}, {"description": None}),
        (
            {"expiresAt": (START + timedelta(days=2)).isoformat()},
            {"expiresAt": iso(START + timedelta(days=2))},
        ),
        ({"expiresAt": None}, {"expiresAt": None}),
        (
            {"targetAuthorization": {"authorizationType": "Basic", "username": "eve", "password": PASSWORD}},
            {"targetAuthorization": {"authorizationType": 1, "username": "eve"}},
        ),
        (
            {"targetAuthorization": {"authorizationType": 0}},
            {"targetAuthorization": {"authorizationType": 0, "username": None}},
        ),
        ({}, {}),
    ],
)
async def test_patch_changes_only_what_is_sent(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    clock: FrozenClock,
    bodies: list[str],
    change: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    created = await register(
        api,
        subscriber,
        "http://127.0.0.1/hook",
        description="first",
        expiresAt=(START + timedelta(days=1)).isoformat(),
        targetAuthorization={"authorizationType": 1, "username": "bob", "password": "old-pw"},
    )
    created.pop("signingSecret")
    clock.advance(timedelta(minutes=1))
    response = await api.patch(f"/api/webhook-registrations/{created['id']}", headers=subscriber, json=change)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert set(updated) == REGISTRATION_FIELDS
    assert updated == created | expected | {"updatedAt": iso(START + timedelta(minutes=1))}
    assert (
        await api.get(f"/api/webhook-registrations/{created['id']}", headers=subscriber)
    ).json() == updated
    assert len(bodies) == 3
    assert all(PASSWORD not in body and "old-pw" not in body for body in bodies)


async def test_patch_replaces_enabled_events(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    created = await register(api, subscriber, "http://127.0.0.1/hook")
    response = await api.patch(
        f"/api/webhook-registrations/{created['id']}",
        headers=subscriber,
        json={
            "enabledEvents": [{"entityName": "tenant", "type": "created"}, {"entityName": "Unit", "type": 3}]
        },
    )
    assert response.status_code == 200, response.text
    events = sorted((e["entityName"], e["type"]) for e in response.json()["enabledEvents"])
    assert events == [("Tenant", 1), ("Unit", 3)]


async def test_patch_authorization_is_sent_to_the_target(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    created = await register(api, subscriber, receiver.url())
    response = await api.patch(
        f"/api/webhook-registrations/{created['id']}",
        headers=subscriber,
        json={"targetAuthorization": {"authorizationType": 1, "username": "bob", "password": PASSWORD}},
    )
    assert response.status_code == 200
    await publish(api, publisher)
    assert await runtime.worker.deliver_due() == 1
    expected = base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    assert receiver.requests[0].headers["Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"targetUrl": None}, "targetUrl"),
        ({"targetUrl": "ftp://127.0.0.1/x"}, "targetUrl"),
        ({"enabledEvents": None}, "enabledEvents"),
        ({"enabledEvents": []}, "enabledEvents"),
        ({"enabledEvents": [{"entityName": "Spaceship", "type": 1}]}, "enabledEvents[0].entityName"),
        ({"shouldGroup": None}, "shouldGroup"),
        ({"shouldGroupContinueAfterFail": None}, "shouldGroupContinueAfterFail"),
        ({"coalesceUpdates": None}, "coalesceUpdates"),
        ({"isActive": None}, "isActive"),
        ({"expiresAt": (START - timedelta(hours=1)).isoformat()}, "expiresAt"),
        (
            {"targetAuthorization": {"authorizationType": 1, "username": "new"}},
            "targetAuthorization.password",
        ),
        ({"organizationId": "globex"}, "organizationId"),
        ({"signingSecret": "whsec_AAAA"}, "signingSecret"),
    ],
)
async def test_invalid_patch_is_422_and_changes_nothing(
    api: httpx.AsyncClient, subscriber: dict[str, str], change: dict[str, Any], field: str
) -> None:
    created = await register(api, subscriber, "http://127.0.0.1/hook")
    created.pop("signingSecret")
    response = await api.patch(f"/api/webhook-registrations/{created['id']}", headers=subscriber, json=change)
    assert field in error_fields(response)
    assert (
        await api.get(f"/api/webhook-registrations/{created['id']}", headers=subscriber)
    ).json() == created


async def test_patch_into_a_duplicate_is_409(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    first = await register(api, subscriber, "http://127.0.0.1/one")
    second = await register(api, subscriber, "http://127.0.0.1/two")
    response = await api.patch(
        f"/api/webhook-registrations/{second['id']}",
        headers=subscriber,
        json={"targetUrl": "HTTP://127.0.0.1:80/one"},
    )
    assert assert_problem(response, 409)["existingId"] == first["id"]


async def test_deactivating_aborts_unfinished_webhooks_and_reactivating_resumes(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    created = await register(api, subscriber, receiver.url())
    [delivered] = (await publish(api, publisher, entity_id="1"))["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    [waiting] = (await publish(api, publisher, entity_id="2"))["webhookIds"]

    response = await api.patch(
        f"/api/webhook-registrations/{created['id']}", headers=subscriber, json={"isActive": False}
    )
    assert response.status_code == 200
    assert response.json()["isActive"] is False
    assert isinstance(response.json()["disabledReason"], str) and response.json()["disabledReason"]
    assert (await webhook(api, subscriber, waiting))["state"] == 5
    assert (await webhook(api, subscriber, waiting))["nextAttemptAt"] is None
    assert (await webhook(api, subscriber, delivered))["state"] == 3
    assert (await publish(api, publisher, entity_id="3"))["webhookIds"] == []
    assert await runtime.worker.deliver_due() == 0

    response = await api.patch(
        f"/api/webhook-registrations/{created['id']}", headers=subscriber, json={"isActive": True}
    )
    assert response.status_code == 200
    assert response.json()["isActive"] is True
    assert response.json()["disabledReason"] is None
    assert (await webhook(api, subscriber, waiting))["state"] == 5
    [resumed] = (await publish(api, publisher, entity_id="4"))["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    assert (await webhook(api, subscriber, resumed))["state"] == 3
    assert len(receiver.requests) == 2


# Delete --------------------------------------------------------------------------------------


async def test_delete_aborts_unfinished_webhooks_and_hides_the_registration(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    created = await register(api, subscriber, receiver.url())
    kept = await register(api, subscriber, receiver.url("/kept"))

    async def by_registration(entity_id: str) -> dict[str, str]:
        ids = (await publish(api, publisher, entity_id=entity_id))["webhookIds"]
        return {(await webhook(api, subscriber, i))["registrationId"]: i for i in ids}

    delivered = (await by_registration("1"))[created["id"]]
    assert await runtime.worker.deliver_due() == 2
    second = await by_registration("2")
    waiting, other = second[created["id"]], second[kept["id"]]

    path = f"/api/webhook-registrations/{created['id']}"
    response = await api.delete(path, headers=subscriber)
    assert response.status_code == 204
    assert response.content == b""

    assert (await webhook(api, subscriber, waiting))["state"] == 5
    assert (await webhook(api, subscriber, delivered))["state"] == 3
    assert (await webhook(api, subscriber, other))["state"] == 1
    assert_problem(await api.get(path, headers=subscriber), 404)
    assert_problem(await api.patch(path, headers=subscriber, json={"description": "x"}), 404)
    assert_problem(await api.delete(path, headers=subscriber), 404)
    assert_problem(await api.post(f"{path}/rotate-secret", headers=subscriber), 404)
    listed = (await api.get("/api/webhook-registrations", headers=subscriber)).json()
    assert [item["id"] for item in listed["items"]] == [kept["id"]]
    assert listed["totalCount"] == 1
    searched = (await api.post("/api/webhook-registrations/search", headers=subscriber, json={})).json()
    assert searched["totalCount"] == 1
    published = await publish(api, publisher, entity_id="3")
    assert len(published["webhookIds"]) == 1
    assert (await webhook(api, subscriber, published["webhookIds"][0]))["registrationId"] == kept["id"]


# Search --------------------------------------------------------------------------------------


async def test_search_filters_by_normalized_url_entity_type_and_activity(
    api: httpx.AsyncClient, subscriber: dict[str, str], clock: FrozenClock
) -> None:
    hook = await register(
        api,
        subscriber,
        "http://127.0.0.1/hook",
        {"entityName": "Process", "type": 1},
        {"entityName": "Tenant", "type": 2},
    )
    clock.advance(timedelta(seconds=1))
    other = await register(
        api, subscriber, "http://127.0.0.1:8080/other", {"entityName": "Process", "type": 2}
    )
    clock.advance(timedelta(seconds=1))
    inactive = await register(api, subscriber, "http://127.0.0.1/hook", {"entityName": "Unit", "type": 3})
    await api.patch(
        f"/api/webhook-registrations/{inactive['id']}", headers=subscriber, json={"isActive": False}
    )

    async def search(**body: object) -> list[str]:
        response = await api.post("/api/webhook-registrations/search", headers=subscriber, json=body)
        assert response.status_code == 200, response.text
        found = response.json()
        assert found["totalCount"] == len(found["items"])
        return [item["id"] for item in found["items"]]

    assert await search() == [hook["id"], other["id"], inactive["id"]]
    assert await search(targetUrl="HTTP://127.0.0.1:80/hook") == [hook["id"], inactive["id"]]
    assert await search(targetUrl="http://127.0.0.1:8080/other") == [other["id"]]
    assert await search(targetUrl="http://127.0.0.1/HOOK") == []
    assert await search(entityName="process") == [hook["id"], other["id"]]
    assert await search(entityName="Process", type="created") == [hook["id"]]
    assert await search(type=2) == [hook["id"], other["id"]]
    assert await search(type="Deleted") == [inactive["id"]]
    assert await search(isActive=False) == [inactive["id"]]
    assert await search(isActive=True) == [hook["id"], other["id"]]
    assert await search(targetUrl="http://127.0.0.1/hook", isActive=True, entityName="Tenant") == [hook["id"]]


async def test_search_pages_in_the_body(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    for index in range(3):
        await register(api, subscriber, f"http://127.0.0.1/hook{index}")
    response = await api.post(
        "/api/webhook-registrations/search", headers=subscriber, json={"pageNumber": 2, "pageSize": 2}
    )
    assert response.status_code == 200
    assert_page(response.json(), page_number=2, page_size=2, total_count=3, items=1)
    largest = await api.post("/api/webhook-registrations/search", headers=subscriber, json={"pageSize": 500})
    assert_page(largest.json(), page_number=1, page_size=500, total_count=3, items=3)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": 501}, "pageSize"),
        ({"pageNumber": 0}, "pageNumber"),
        ({"targetUrl": "ftp://127.0.0.1/x"}, "targetUrl"),
        ({"entityName": "Spaceship"}, "entityName"),
        ({"type": "Exploded"}, "type"),
        ({"isActive": "perhaps"}, "isActive"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_invalid_search_is_422(
    api: httpx.AsyncClient, subscriber: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = await api.post("/api/webhook-registrations/search", headers=subscriber, json=body)
    assert field in error_fields(response)


# Signing secret ------------------------------------------------------------------------------


async def test_rotated_secret_signs_alongside_the_old_one_for_24_hours(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register(api, subscriber, receiver.url())
    old_secret = created["signingSecret"]

    await publish(api, publisher, entity_id="1")
    assert await runtime.worker.deliver_due() == 1
    before = receiver.requests[-1]
    assert len(before.headers["webhook-signature"].split(" ")) == 1
    FrozenWebhook(old_secret, clock).verify(before.body, before.headers)

    response = await api.post(f"/api/webhook-registrations/{created['id']}/rotate-secret", headers=subscriber)
    assert response.status_code == 200
    assert set(response.json()) == {"signingSecret"}
    new_secret = response.json()["signingSecret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != old_secret
    base64.b64decode(new_secret.removeprefix("whsec_"), validate=True)

    clock.advance(timedelta(hours=23, minutes=59))
    await publish(api, publisher, entity_id="2")
    assert await runtime.worker.deliver_due() == 1
    during = receiver.requests[-1]
    signatures = during.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(signature.startswith("v1,") for signature in signatures)
    for secret in (old_secret, new_secret):
        assert FrozenWebhook(secret, clock).verify(during.body, during.headers)["entityId"] == "2"

    clock.advance(timedelta(minutes=2))
    await publish(api, publisher, entity_id="3")
    assert await runtime.worker.deliver_due() == 1
    after = receiver.requests[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    FrozenWebhook(new_secret, clock).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        FrozenWebhook(old_secret, clock).verify(after.body, after.headers)
    read = await api.get(f"/api/webhook-registrations/{created['id']}", headers=subscriber)
    assert new_secret not in read.text and old_secret not in read.text


async def test_each_signature_matches_one_secret_after_rotation(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register(api, subscriber, receiver.url())
    rotated = await api.post(f"/api/webhook-registrations/{created['id']}/rotate-secret", headers=subscriber)
    new_secret = rotated.json()["signingSecret"]
    await publish(api, publisher)
    await runtime.worker.deliver_due()
    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    matches = {
        secret: [
            signature
            for signature in signatures
            if _verifies(FrozenWebhook(secret, clock), request.body, request.headers, signature)
        ]
        for secret in (created["signingSecret"], new_secret)
    }
    assert len(matches[created["signingSecret"]]) == 1
    assert len(matches[new_secret]) == 1
    assert matches[created["signingSecret"]] != matches[new_secret]


def _verifies(verifier: FrozenWebhook, body: bytes, headers: dict[str, str], signature: str) -> bool:
    try:
        verifier.verify(body, headers | {"webhook-signature": signature})
    except WebhookVerificationError:
        return False
    return True


# Test delivery -------------------------------------------------------------------------------


async def test_test_sends_a_signed_request_and_answers_the_attempt(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver, clock: FrozenClock
) -> None:
    created = await register(
        api,
        subscriber,
        receiver.url(),
        targetAuthorization={"authorizationType": 1, "username": "bob", "password": PASSWORD},
    )
    receiver.reply(Reply(200, "thanks"))
    response = await api.post(f"/api/webhook-registrations/{created['id']}/test", headers=subscriber)
    assert response.status_code == 200, response.text
    attempt = response.json()
    assert {
        "id",
        "attemptNumber",
        "startedAt",
        "durationMs",
        "responseStatus",
        "responseBody",
        "error",
    } <= set(attempt)
    assert attempt["responseStatus"] == 200
    assert attempt["responseBody"] == "thanks"
    assert attempt["succeeded"] is True
    assert attempt["error"] is None
    assert attempt["attemptNumber"] == 1
    assert attempt["startedAt"] == iso(START)
    assert isinstance(attempt["durationMs"], int) and attempt["durationMs"] >= 0

    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"] == attempt["id"]
    body = FrozenWebhook(created["signingSecret"], clock).verify(request.body, request.headers)
    assert body["registrationId"] == created["id"]
    assert body["organizationId"] == "acme"
    expected = base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert PASSWORD not in response.text

    listed = (await api.get("/api/webhooks", headers=subscriber)).json()
    assert listed["totalCount"] == 0  # a test creates no Webhook


async def test_test_against_a_failing_target_reports_the_failure(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    created = await register(api, subscriber, receiver.url())
    receiver.reply(Reply(500, "boom"))
    response = await api.post(f"/api/webhook-registrations/{created['id']}/test", headers=subscriber)
    assert response.status_code == 200
    attempt = response.json()
    assert attempt["succeeded"] is False
    assert attempt["responseStatus"] == 500
    assert attempt["responseBody"] == "boom"


async def test_test_against_an_unreachable_target_names_the_error(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    created = await register(api, subscriber, REFUSED_URL)
    response = await api.post(f"/api/webhook-registrations/{created['id']}/test", headers=subscriber)
    assert response.status_code == 200
    attempt = response.json()
    assert_connection_refused(attempt)


# Registration webhooks and recover -----------------------------------------------------------


async def test_registration_webhooks_are_paged_and_its_own_only(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    mine = await register(api, subscriber, "http://127.0.0.1/mine")
    await register(api, subscriber, "http://127.0.0.1/other")
    for index in range(3):
        await publish(api, publisher, entity_id=str(index))
    response = await api.get(
        f"/api/webhook-registrations/{mine['id']}/webhooks", headers=subscriber, params={"pageSize": 2}
    )
    assert response.status_code == 200
    assert_page(response.json(), page_number=1, page_size=2, total_count=3, items=2)
    page_two = await api.get(
        f"/api/webhook-registrations/{mine['id']}/webhooks",
        headers=subscriber,
        params={"pageSize": 2, "pageNumber": 2},
    )
    assert_page(page_two.json(), page_number=2, page_size=2, total_count=3, items=1)
    items = response.json()["items"] + page_two.json()["items"]
    assert {item["registrationId"] for item in items} == {mine["id"]}
    assert sorted(item["entityId"] for item in items) == ["0", "1", "2"]


async def test_recover_requeues_matching_webhooks_once(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register(api, subscriber, receiver.url())
    ids = []
    for index in range(3):
        ids += (await publish(api, publisher, entity_id=str(index)))["webhookIds"]
        clock.advance(timedelta(minutes=1))
    for webhook_id in ids:
        assert (await api.post(f"/api/webhooks/{webhook_id}/abort", headers=subscriber)).status_code == 200
    path = f"/api/webhook-registrations/{created['id']}/recover"

    default = await api.post(path, headers=subscriber, json={"since": START.isoformat()})
    assert default.status_code == 200
    assert default.json() == {"count": 0}  # only Failed ones by default

    dry = await api.post(
        path, headers=subscriber, json={"since": START.isoformat(), "states": ["aborted"], "dryRun": True}
    )
    assert dry.json() == {"count": 3}
    assert {(await webhook(api, subscriber, i))["state"] for i in ids} == {5}

    window = await api.post(
        path,
        headers=subscriber,
        json={
            "since": (START + timedelta(minutes=1)).isoformat(),
            "until": (START + timedelta(minutes=2)).isoformat(),
            "states": [5],
        },
    )
    assert window.json() == {"count": 1}
    assert [(await webhook(api, subscriber, i))["state"] for i in ids] == [5, 2, 5]
    assert await runtime.worker.deliver_due() == 1
    assert [(await webhook(api, subscriber, i))["state"] for i in ids] == [5, 3, 5]


async def test_recover_spreads_the_attempts_at_a_bounded_rate(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register(api, subscriber, receiver.url())
    ids = [
        (await publish(api, publisher, entity_id=str(n)))["webhookIds"][0]
        for n in range(RECOVER_RATE_PER_S * 2)
    ]
    for webhook_id in ids:
        await api.post(f"/api/webhooks/{webhook_id}/abort", headers=subscriber)
    recovered = await api.post(
        f"/api/webhook-registrations/{created['id']}/recover",
        headers=subscriber,
        json={"since": START.isoformat(), "states": ["Aborted"]},
    )
    assert recovered.json() == {"count": len(ids)}

    assert await runtime.worker.deliver_due() == 1  # the first is due now, the rest spaced out
    clock.advance(timedelta(seconds=1) - timedelta(microseconds=1))
    assert await runtime.worker.deliver_due() == RECOVER_RATE_PER_S - 1
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == RECOVER_RATE_PER_S
    assert len(receiver.requests) == len(ids)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": START.isoformat(), "until": START.isoformat()}, "until"),
        ({"since": START.isoformat(), "states": []}, "states"),
        ({"since": START.isoformat(), "states": ["Exploded"]}, "states[0]"),
        ({"since": START.isoformat(), "dryRun": "sometimes"}, "dryRun"),
    ],
)
async def test_invalid_recover_is_422(
    api: httpx.AsyncClient, subscriber: dict[str, str], body: dict[str, object], field: str
) -> None:
    created = await register(api, subscriber, "http://127.0.0.1/hook")
    response = await api.post(
        f"/api/webhook-registrations/{created['id']}/recover", headers=subscriber, json=body
    )
    assert field in error_fields(response)


@pytest.mark.parametrize(
    ("schedule", "fields"),
    [
        (["10x"], {"retrySchedule[0]"}),
        (["10s", "500ms", "8d"], {"retrySchedule[1]", "retrySchedule[2]"}),
        (["1m"] * 21, {"retrySchedule"}),
        ([10], {"retrySchedule[0]"}),
        ("10s", {"retrySchedule"}),
    ],
)
async def test_a_retry_schedule_with_bad_units_counts_or_bounds_is_422(
    api: httpx.AsyncClient, subscriber: dict[str, str], schedule: Any, fields: set[str]
) -> None:
    body = registration_body("http://127.0.0.1/hook", retrySchedule=schedule)
    assert error_fields(await api.post("/api/webhook-registrations", headers=subscriber, json=body)) == fields
    created = await register(api, subscriber, "http://127.0.0.1/hook")
    path = f"/api/webhook-registrations/{created['id']}"
    assert error_fields(await api.patch(path, headers=subscriber, json={"retrySchedule": schedule})) == fields
    assert (await api.get(path, headers=subscriber)).json()["retrySchedule"] is None
