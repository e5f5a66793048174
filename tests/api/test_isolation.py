"""A key never sees or touches another organization's data: such ids answer 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.domain.enums import Role
from hookline.runtime import Runtime
from tests.api.conftest import OTHER_ORG
from tests.api.support import FrozenWebhook, assert_problem, iso, publish, register, webhook
from tests.conftest import START, Receiver, Reply, bearer, make_key


@dataclass
class Acme:
    registration: dict[str, object]
    secret: str
    webhook_id: str
    target_url: str


@pytest.fixture
async def acme(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> Acme:
    """An acme registration with one delivered Webhook whose attempt failed (now Retrying)."""
    created = await register(api, subscriber, receiver.url(), description="acme's")
    secret = str(created.pop("signingSecret"))
    [webhook_id] = (await publish(api, publisher))["webhookIds"]
    receiver.reply(Reply(500, "acme's answer"))
    assert await runtime.worker.deliver_due() == 1
    failing = (await api.get(f"/api/webhook-registrations/{created['id']}", headers=subscriber)).json()
    assert failing["failingSince"] == iso(START)
    return Acme(failing, secret, webhook_id, receiver.url())


@pytest.mark.parametrize("foreign_role", ["subscriber", "owner"])
async def test_foreign_ids_answer_404_on_every_id_endpoint(
    api: httpx.AsyncClient,
    acme: Acme,
    subscriber: dict[str, str],
    foreign_role: str,
    receiver: Receiver,
    clock: FrozenClock,
    runtime: Runtime,
) -> None:
    other_key = await make_key(runtime, OTHER_ORG, foreign_role)
    registration = f"/api/webhook-registrations/{acme.registration['id']}"
    hook = f"/api/webhooks/{acme.webhook_id}"
    requests = [
        ("GET", registration, None),
        ("PATCH", registration, {"description": "mine now"}),
        ("PATCH", registration, {"isActive": False}),
        ("DELETE", registration, None),
        ("POST", f"{registration}/rotate-secret", None),
        ("POST", f"{registration}/test", None),
        ("POST", f"{registration}/recover", {"since": START.isoformat(), "states": [2]}),
        ("GET", f"{registration}/webhooks", None),
        ("GET", hook, None),
        ("GET", f"{hook}/webhook-attempts", None),
        ("POST", f"{hook}/abort", None),
        ("POST", f"{hook}/resolve", None),
        ("POST", f"{hook}/retry", None),
    ]
    for method, path, body in requests:
        response = await api.request(method, path, headers=other_key, json=body)
        problem = assert_problem(response, 404)
        assert "acme" not in response.text.lower().replace(str(acme.registration["id"]), "")
        assert problem["title"]

    # nothing changed for acme: same registration, same Webhook, no test request, old secret
    assert (await api.get(registration, headers=subscriber)).json() == acme.registration
    found = await webhook(api, subscriber, acme.webhook_id)
    assert (found["state"], found["attemptCount"]) == (2, 1)
    assert len(receiver.requests) == 1
    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 1
    FrozenWebhook(acme.secret, clock).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
    assert len(receiver.requests[-1].headers["webhook-signature"].split(" ")) == 1


async def test_lists_and_search_never_show_or_count_foreign_items(
    api: httpx.AsyncClient,
    acme: Acme,
    other_subscriber: dict[str, str],
    other_publisher: dict[str, str],
) -> None:
    theirs = await register(api, other_subscriber, "http://127.0.0.1/globex")
    [their_webhook] = (await publish(api, other_publisher))["webhookIds"]

    registrations = (await api.get("/api/webhook-registrations", headers=other_subscriber)).json()
    assert [item["id"] for item in registrations["items"]] == [theirs["id"]]
    assert registrations["totalCount"] == 1
    for body in [
        {},
        {"targetUrl": acme.target_url},
        {"entityName": "Process"},
        {"type": 2},
        {"isActive": True},
        {"pageSize": 500},
    ]:
        found = (
            await api.post("/api/webhook-registrations/search", headers=other_subscriber, json=body)
        ).json()
        assert acme.registration["id"] not in {item["id"] for item in found["items"]}
        assert found["totalCount"] == len(found["items"])
    by_acme_url = await api.post(
        "/api/webhook-registrations/search", headers=other_subscriber, json={"targetUrl": acme.target_url}
    )
    assert by_acme_url.json()["totalCount"] == 0

    webhooks = (await api.get("/api/webhooks", headers=other_subscriber)).json()
    assert [item["id"] for item in webhooks["items"]] == [their_webhook]
    assert webhooks["totalCount"] == 1
    for params in [
        {"registrationId": str(acme.registration["id"])},
        {"state": 2},
        {"entityName": "Process", "entityId": "42"},
    ]:
        found = (await api.get("/api/webhooks", headers=other_subscriber, params=params)).json()
        assert acme.webhook_id not in {item["id"] for item in found["items"]}
        assert found["totalCount"] == len(found["items"])
    foreign_registration = await api.get(
        "/api/webhooks", headers=other_subscriber, params={"registrationId": str(acme.registration["id"])}
    )
    assert foreign_registration.json()["totalCount"] == 0


async def test_naming_another_organization_is_refused(
    api: httpx.AsyncClient, acme: Acme, other_subscriber: dict[str, str], other_publisher: dict[str, str]
) -> None:
    responses = [
        await api.post(
            "/api/webhook-registrations",
            headers=other_subscriber,
            json={
                "targetUrl": "http://127.0.0.1/x",
                "enabledEvents": [{"entityName": "Process", "type": 2}],
                "organizationId": "acme",
            },
        ),
        await api.get(
            "/api/webhook-registrations", headers=other_subscriber, params={"organizationId": "acme"}
        ),
        await api.post(
            "/api/webhook-registrations/search", headers=other_subscriber, json={"organizationId": "acme"}
        ),
        await api.get("/api/webhooks", headers=other_subscriber, params={"organizationId": "acme"}),
        await api.post(
            "/api/events",
            headers=other_publisher,
            json={"entityName": "Process", "type": 2, "entityId": "42", "organizationId": "acme"},
        ),
    ]
    for response in responses:
        assert_problem(response, 403)
        assert acme.webhook_id not in response.text


async def test_naming_the_own_organization_is_allowed(
    api: httpx.AsyncClient, acme: Acme, subscriber: dict[str, str]
) -> None:
    listed = await api.get(
        "/api/webhook-registrations", headers=subscriber, params={"organizationId": "acme"}
    )
    assert listed.json()["totalCount"] == 1
    searched = await api.post(
        "/api/webhook-registrations/search", headers=subscriber, json={"organizationId": "acme"}
    )
    assert searched.json()["totalCount"] == 1
    webhooks = await api.get("/api/webhooks", headers=subscriber, params={"organizationId": "acme"})
    assert webhooks.json()["totalCount"] == 1


async def test_idempotency_ids_do_not_leak_across_organizations(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_publisher: dict[str, str],
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    mine = await publish(api, publisher, id="shared-id")
    theirs = await publish(api, other_publisher, id="shared-id")
    assert theirs["eventId"] != mine["eventId"]
    assert theirs["webhookIds"] == []


async def test_organizations_with_the_same_url_do_not_collide(
    api: httpx.AsyncClient, subscriber: dict[str, str], other_subscriber: dict[str, str]
) -> None:
    mine = await register(api, subscriber, "http://127.0.0.1/hook")
    theirs = await register(api, other_subscriber, "http://127.0.0.1/hook")
    assert mine["id"] != theirs["id"]
    assert theirs["organizationId"] == "globex"


async def test_admin_reads_every_organization_and_may_narrow_to_one(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    subscriber: dict[str, str],
    other_subscriber: dict[str, str],
) -> None:
    mine = await register(api, subscriber, "http://127.0.0.1/hook")
    theirs = await register(api, other_subscriber, "http://127.0.0.1/hook")
    everything = (await api.get("/api/webhook-registrations", headers=admin)).json()
    assert everything["totalCount"] == 2
    narrowed = await api.get("/api/webhook-registrations", headers=admin, params={"organizationId": "globex"})
    assert [item["id"] for item in narrowed.json()["items"]] == [theirs["id"]]
    searched = await api.post(
        "/api/webhook-registrations/search", headers=admin, json={"organizationId": "acme"}
    )
    assert [item["id"] for item in searched.json()["items"]] == [mine["id"]]
    for registration in (mine, theirs):
        found = await api.get(f"/api/webhook-registrations/{registration['id']}", headers=admin)
        assert found.status_code == 200
        assert found.json()["organizationId"] == registration["organizationId"]


async def test_an_owner_manages_only_its_own_organizations_keys(
    api: httpx.AsyncClient, runtime: Runtime, other_owner: dict[str, str], subscriber: dict[str, str]
) -> None:
    acme_key, _ = await runtime.hookline.create_api_key("acme", Role.PUBLISHER, "acme's")
    operator, _ = await runtime.hookline.create_api_key(OTHER_ORG, Role.ADMIN, "operator")
    theirs, their_secret = await runtime.hookline.create_api_key(OTHER_ORG, Role.SUBSCRIBER, "theirs")

    listed = (await api.get("/api/api-keys", headers=other_owner)).json()
    assert {item["organizationId"] for item in listed["items"]} == {OTHER_ORG}
    assert {item["role"] for item in listed["items"]} == {"owner", "subscriber"}
    assert listed["totalCount"] == 2
    for foreign in (acme_key.id, operator.id):
        assert_problem(await api.delete(f"/api/api-keys/{foreign}", headers=other_owner), 404)
    assert (await api.get("/api/webhook-registrations", headers=subscriber)).status_code == 200

    for body in ({"role": "admin"}, {"role": 1}, {"organizationId": OTHER_ORG, "role": "admin"}):
        assert_problem(await api.post("/api/api-keys", headers=other_owner, json=body), 403)
    assert_problem(
        await api.post(
            "/api/api-keys", headers=other_owner, json={"organizationId": "acme", "role": "owner"}
        ),
        403,
    )
    created = await api.post("/api/api-keys", headers=other_owner, json={"role": "owner", "name": "deputy"})
    assert created.status_code == 201, created.text
    assert (created.json()["organizationId"], created.json()["role"]) == (OTHER_ORG, "owner")

    assert (await api.get("/api/webhook-registrations", headers=bearer(their_secret))).status_code == 200
    assert (await api.delete(f"/api/api-keys/{theirs.id}", headers=other_owner)).status_code == 204
    assert_problem(await api.get("/api/webhook-registrations", headers=bearer(their_secret)), 401)


async def test_an_owner_reads_and_settles_only_its_own_registrations_and_webhooks(
    api: httpx.AsyncClient, acme: Acme, other_owner: dict[str, str], other_publisher: dict[str, str]
) -> None:
    theirs = await register(api, other_owner, "http://127.0.0.1/globex")
    [their_webhook] = (await publish(api, other_publisher))["webhookIds"]
    registrations = (await api.get("/api/webhook-registrations", headers=other_owner)).json()
    assert [item["id"] for item in registrations["items"]] == [theirs["id"]]
    webhooks = (await api.get("/api/webhooks", headers=other_owner)).json()
    assert [item["id"] for item in webhooks["items"]] == [their_webhook]
    assert (await api.post(f"/api/webhooks/{their_webhook}/abort", headers=other_owner)).status_code == 200
    assert_problem(
        await api.get("/api/webhooks", headers=other_owner, params={"organizationId": "acme"}), 403
    )
