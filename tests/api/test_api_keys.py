"""/api/api-keys and authentication: admin-only key management, 401 for any key that is not live."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.enums import Role
from hookline.runtime import Runtime
from hookline.service import KEY_RECHECK
from tests.api.support import assert_page, assert_problem, error_fields, iso
from tests.conftest import START, another_api_process, bearer, make_key

CREATED_KEY_FIELDS = {"id", "key", "organizationId", "role", "name", "createdAt"}
KEY_EXTENSIONS = {"lastUsedAt"}
KEYED_ROUTES = [
    ("GET", "/api/api-keys"),
    ("POST", "/api/api-keys"),
    ("DELETE", "/api/api-keys/key_x"),
    ("GET", "/api/webhook-registrations"),
    ("POST", "/api/webhook-registrations"),
    ("POST", "/api/webhook-registrations/search"),
    ("GET", "/api/webhook-registrations/reg_x"),
    ("PATCH", "/api/webhook-registrations/reg_x"),
    ("DELETE", "/api/webhook-registrations/reg_x"),
    ("POST", "/api/webhook-registrations/reg_x/rotate-secret"),
    ("GET", "/api/webhook-registrations/reg_x/webhooks"),
    ("POST", "/api/webhook-registrations/reg_x/test"),
    ("POST", "/api/webhook-registrations/reg_x/recover"),
    ("POST", "/api/events"),
    ("GET", "/api/webhooks"),
    ("GET", "/api/webhooks/wh_x"),
    ("GET", "/api/webhooks/wh_x/webhook-attempts"),
    ("POST", "/api/webhooks/wh_x/abort"),
    ("POST", "/api/webhooks/wh_x/resolve"),
    ("POST", "/api/webhooks/wh_x/retry"),
    ("GET", "/api/entities"),
]


async def test_admin_creates_a_key_shown_only_once(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await api.post(
        "/api/api-keys", headers=admin, json={"organizationId": "acme", "role": "subscriber", "name": "ci"}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == CREATED_KEY_FIELDS | KEY_EXTENSIONS
    assert created["organizationId"] == "acme"
    assert created["role"] == "subscriber"
    assert created["name"] == "ci"
    assert created["createdAt"] == iso(START)
    assert isinstance(created["key"], str) and len(created["key"]) >= 20

    listed = await api.get("/api/api-keys", headers=admin)
    assert listed.status_code == 200
    assert created["key"] not in listed.text
    [item] = [item for item in listed.json()["items"] if item["id"] == created["id"]]
    assert "key" not in item
    assert set(item) == CREATED_KEY_FIELDS - {"key"} | KEY_EXTENSIONS

    usable = await api.get("/api/webhook-registrations", headers=bearer(created["key"]))
    assert usable.status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"), [("Publisher", "publisher"), (3, "subscriber"), ("ADMIN", "admin")]
)
async def test_role_is_accepted_by_id_or_any_case_name(
    api: httpx.AsyncClient, admin: dict[str, str], role: object, expected: str
) -> None:
    response = await api.post("/api/api-keys", headers=admin, json={"organizationId": "acme", "role": role})
    assert response.status_code == 201, response.text
    assert response.json()["role"] == expected
    assert response.json()["name"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organizationId": "acme", "role": "root"}, "role"),
        ({"organizationId": "acme", "role": 9}, "role"),
        ({"organizationId": "acme"}, "role"),
        ({"role": "subscriber"}, "organizationId"),
        ({"organizationId": "", "role": "subscriber"}, "organizationId"),
        ({"organizationId": "acme", "role": "subscriber", "name": "n" * 201}, "name"),
        ({"organizationId": "acme", "role": "subscriber", "extra": 1}, "extra"),
    ],
)
async def test_invalid_key_requests_are_422(
    api: httpx.AsyncClient, admin: dict[str, str], body: dict[str, object], field: str
) -> None:
    assert field in error_fields(await api.post("/api/api-keys", headers=admin, json=body))


async def test_list_is_paged(api: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]) -> None:
    for index in range(3):
        await make_key(runtime, f"org{index}", "publisher")
    first = await api.get("/api/api-keys", headers=admin, params={"pageSize": 2})
    assert first.status_code == 200
    assert_page(first.json(), page_number=1, page_size=2, total_count=3, items=2)
    second = await api.get("/api/api-keys", headers=admin, params={"pageSize": 2, "pageNumber": 2})
    assert_page(second.json(), page_number=2, page_size=2, total_count=3, items=1)
    ids = [item["id"] for item in first.json()["items"] + second.json()["items"]]
    assert len(set(ids)) == 3


async def test_revoked_key_is_refused_with_401(
    api: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    created = (
        await api.post("/api/api-keys", headers=admin, json={"organizationId": "acme", "role": "subscriber"})
    ).json()
    assert (await api.get("/api/webhook-registrations", headers=bearer(created["key"]))).status_code == 200

    revoked = await api.delete(f"/api/api-keys/{created['id']}", headers=admin)
    assert revoked.status_code == 204
    assert revoked.content == b""

    refused = await api.get("/api/webhook-registrations", headers=bearer(created["key"]))
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"
    listed = (await api.get("/api/api-keys", headers=admin)).json()
    assert created["id"] not in {item["id"] for item in listed["items"]}
    assert_problem(await api.delete(f"/api/api-keys/{created['id']}", headers=admin), 404)


async def test_revoking_an_unknown_key_is_404(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert_problem(await api.delete("/api/api-keys/key_nope", headers=admin), 404)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer hl_not_a_real_key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "hl_admin_key_for_tests_only"},
    ],
    ids=["missing", "empty", "unknown", "basic", "no-scheme"],
)
async def test_every_endpoint_wants_a_live_key(api: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for method, path in KEYED_ROUTES:
        response = await api.request(method, path, headers=headers, json={})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", (method, path)


async def test_keys_are_managed_by_admins_and_owners_only(
    api: httpx.AsyncClient, runtime: Runtime, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    org_admin = await make_key(runtime, "acme", "admin")
    created = await api.post(
        "/api/api-keys", headers=org_admin, json={"organizationId": "acme", "role": "subscriber"}
    )
    assert created.status_code == 201
    for headers in (subscriber, publisher):
        assert_problem(
            await api.post(
                "/api/api-keys", headers=headers, json={"organizationId": "acme", "role": "subscriber"}
            ),
            403,
        )
        assert_problem(await api.get("/api/api-keys", headers=headers), 403)
        assert_problem(await api.delete(f"/api/api-keys/{created.json()['id']}", headers=headers), 403)


async def test_entities_are_readable_with_any_key(
    api: httpx.AsyncClient, admin: dict[str, str], subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    for headers in (admin, subscriber, publisher):
        response = await api.get("/api/entities", headers=headers)
        assert response.status_code == 200
        items = response.json()["items"]
        names = [item["entityName"] for item in items]
        assert "Process" in names and "WorkOrder" in names
        assert len(names) == 24 + 2  # the built-in catalog and hookline's Webhook, WebhookRegistration
        assert names[-2:] == ["Webhook", "WebhookRegistration"]
        assert items[0]["types"] == [1, 2, 3, 4, 5, 6]


async def test_a_key_revoked_by_another_process_stops_working_within_the_recheck_interval(
    api: httpx.AsyncClient, runtime: Runtime, settings: Settings, clock: FrozenClock
) -> None:
    record, key = await runtime.hookline.create_api_key("acme", Role.SUBSCRIBER, "elsewhere")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await api.get("/api/webhook-registrations", headers=headers)).status_code == 200

    async with another_api_process(settings, clock) as (other_process, _):
        await other_process.hookline.revoke_api_key(record.id)

    clock.advance(KEY_RECHECK - timedelta(seconds=1))
    assert (await api.get("/api/webhook-registrations", headers=headers)).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert (await api.get("/api/webhook-registrations", headers=headers)).status_code == 401


async def test_last_used_at_follows_use_to_the_minute(
    api: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str], clock: FrozenClock
) -> None:
    record, key = await runtime.hookline.create_api_key("acme", Role.PUBLISHER, "tracked")

    async def last_used() -> str | None:
        listed = (await api.get("/api/api-keys", headers=admin)).json()["items"]
        [mine] = [item for item in listed if item["id"] == record.id]
        return mine["lastUsedAt"]

    assert await last_used() is None
    await api.get("/api/entities", headers=bearer(key))
    assert await last_used() == iso(clock.now())
    first_use = clock.now()
    clock.advance(timedelta(seconds=30))
    await api.get("/api/entities", headers=bearer(key))
    assert await last_used() == iso(first_use)  # within the minute: no write per request
    clock.advance(timedelta(minutes=1))
    await api.get("/api/entities", headers=bearer(key))
    assert await last_used() == iso(clock.now())
