"""Reaching a target the way its owner asks: Bearer authorization and custom headers, sent on
every request to a real receiver, write-only in every answer, checked before anything is stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hookline.runtime import Runtime
from tests.api.support import assert_problem, attempts, error_fields, publish, register, registration_body
from tests.conftest import Receiver

TOKEN = "tok_5d1c0b7e9a4f4e2f8c3b"
TENANT = "tenant-7f3e2a"
HEADERS = {"X-Tenant": TENANT, "X-Route": "eu-1"}
BEARER = {"authorizationType": "Bearer", "token": TOKEN}


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


async def test_bearer_token_and_custom_headers_reach_the_target_and_stay_write_only(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    created = await register(api, subscriber, receiver.url(), targetAuthorization=BEARER, headers=HEADERS)
    assert created["targetAuthorization"] == {"authorizationType": 2, "username": None}
    assert created["headers"] == {"X-Tenant": "•••", "X-Route": "•••"}
    assert TOKEN not in str(created) and TENANT not in str(created)

    [webhook_id] = (await publish(api, publisher))["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    [arrived] = receiver.requests
    sent = _lower(arrived.headers)
    assert sent["authorization"] == f"Bearer {TOKEN}"
    assert sent["x-tenant"] == TENANT and sent["x-route"] == "eu-1"
    assert sent["content-type"] == "application/json" and sent["webhook-id"] == webhook_id

    [attempt] = await attempts(api, subscriber, webhook_id)
    recorded = _lower(attempt["requestHeaders"])
    assert recorded["authorization"] == "Bearer •••"
    assert recorded["x-tenant"] == "•••" and recorded["x-route"] == "•••"

    shown = await api.get(f"/api/webhook-registrations/{created['id']}", headers=subscriber)
    assert shown.json()["headers"] == {"X-Tenant": "•••", "X-Route": "•••"}
    listed = await api.get("/api/webhook-registrations", headers=subscriber)
    assert listed.json()["items"][0]["headers"] == {"X-Tenant": "•••", "X-Route": "•••"}


async def test_a_test_webhook_carries_the_token_and_headers_too(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    created = await register(api, subscriber, receiver.url(), targetAuthorization=BEARER, headers=HEADERS)
    tested = await api.post(f"/api/webhook-registrations/{created['id']}/test", headers=subscriber)
    assert tested.status_code == 200 and tested.json()["succeeded"], tested.text
    sent = _lower(receiver.requests[0].headers)
    assert sent["authorization"] == f"Bearer {TOKEN}" and sent["x-tenant"] == TENANT
    assert TOKEN not in tested.text and TENANT not in tested.text


@pytest.mark.parametrize(
    "name",
    [
        "Content-Type",
        "content-length",
        "Host",
        "Authorization",
        "webhook-id",
        "Webhook-Signature",
        "webhook-anything",
        "traceparent",
        "Connection",
        "Keep-Alive",
        "Proxy-Authorization",
        "proxy-connection",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
    ],
)
async def test_names_the_protocol_owns_are_refused(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver, name: str
) -> None:
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body(receiver.url(), headers={name: "x"}),
    )
    assert error_fields(response) == {f"headers.{name}"}
    assert "set by hookline" in response.text


async def test_bad_names_and_values_are_refused_each_named(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    bad = {
        "X Tenant": "x",
        "X:Colon": "x",
        "X-Ünicode": "x",
        "X-Split": "a\r\nX-Injected: yes",
        "X-Newline": "a\nb",
        "X-Fine": "ok",
        "x-fine": "repeated in another case",
    }
    response = await api.post(
        "/api/webhook-registrations", headers=subscriber, json=registration_body(receiver.url(), headers=bad)
    )
    assert error_fields(response) == {f"headers.{name}" for name in bad if name != "X-Fine"}
    nul = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body(receiver.url(), headers={"X-Nul": "a\0b"}),
    )
    assert error_fields(nul) == {"headers"}  # NUL is refused in any string of a request body
    assert (await api.get("/api/webhook-registrations", headers=subscriber)).json()["totalCount"] == 0


async def test_at_most_twenty_headers(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    twenty = {f"X-H{index}": "v" for index in range(20)}
    await register(api, subscriber, receiver.url(), headers=twenty)
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body(receiver.url("/other"), headers=twenty | {"X-H20": "v"}),
    )
    assert "headers" in error_fields(response)


@pytest.mark.parametrize(
    ("authorization", "field"),
    [
        ({"authorizationType": 2}, "targetAuthorization.token"),
        ({"authorizationType": 2, "token": ""}, "targetAuthorization.token"),
        ({"authorizationType": 2, "token": "a\r\nX-Injected: yes"}, "targetAuthorization.token"),
        ({"authorizationType": 2, "token": "two words"}, "targetAuthorization.token"),
        (
            {"authorizationType": 1, "username": "u", "password": "p", "token": "t"},
            "targetAuthorization.token",
        ),
        ({"authorizationType": 0, "token": "t"}, "targetAuthorization.token"),
        ({"authorizationType": 2, "token": "t", "password": "p"}, "targetAuthorization"),
    ],
)
async def test_bearer_authorization_is_checked(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    receiver: Receiver,
    authorization: dict[str, Any],
    field: str,
) -> None:
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body(receiver.url(), targetAuthorization=authorization),
    )
    assert error_fields(response) == {field}


async def test_patch_replaces_the_headers_and_null_keeps_a_stored_value(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    created = await register(api, subscriber, receiver.url(), targetAuthorization=BEARER, headers=HEADERS)
    path = f"/api/webhook-registrations/{created['id']}"

    async def sent_headers() -> dict[str, str]:
        tested = await api.post(f"{path}/test", headers=subscriber)
        assert tested.json()["succeeded"], tested.text
        return _lower(receiver.requests[-1].headers)

    changed = await api.patch(path, headers=subscriber, json={"headers": {"x-tenant": None, "X-New": "n1"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["headers"] == {"x-tenant": "•••", "X-New": "•••"}
    sent = await sent_headers()
    assert sent["x-tenant"] == TENANT and sent["x-new"] == "n1" and "x-route" not in sent

    # a PATCH of something else keeps them; so does a Bearer authorization without its token
    kept = await api.patch(
        path, headers=subscriber, json={"description": "d", "targetAuthorization": {"authorizationType": 2}}
    )
    assert kept.json()["headers"] == {"x-tenant": "•••", "X-New": "•••"}, kept.text
    sent = await sent_headers()
    assert sent["x-tenant"] == TENANT and sent["authorization"] == f"Bearer {TOKEN}"

    unknown = await api.patch(path, headers=subscriber, json={"headers": {"X-Unknown": None}})
    assert error_fields(unknown) == {"headers.X-Unknown"}
    echoed = await api.patch(path, headers=subscriber, json={"headers": {"X-New": "•••"}})
    assert error_fields(echoed) == {"headers.X-New"}
    owned = await api.patch(path, headers=subscriber, json={"headers": {"Host": "evil"}})
    assert error_fields(owned) == {"headers.Host"}

    rotated = await api.patch(
        path, headers=subscriber, json={"targetAuthorization": {"authorizationType": 2, "token": "tok_new"}}
    )
    assert rotated.status_code == 200, rotated.text
    assert (await sent_headers())["authorization"] == "Bearer tok_new"

    for cleared in ({}, None):
        emptied = await api.patch(path, headers=subscriber, json={"headers": cleared})
        assert emptied.json()["headers"] == {}, emptied.text
        assert "x-tenant" not in await sent_headers()

    to_none = await api.patch(
        path, headers=subscriber, json={"targetAuthorization": {"authorizationType": 0}}
    )
    assert to_none.json()["targetAuthorization"]["authorizationType"] == 0
    assert "authorization" not in await sent_headers()
    back = await api.patch(path, headers=subscriber, json={"targetAuthorization": {"authorizationType": 2}})
    assert error_fields(back) == {"targetAuthorization.token"}  # nothing stored to keep


async def test_identical_registration_counts_the_headers(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    first = await register(api, subscriber, receiver.url(), headers=HEADERS)
    same = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body(receiver.url(), headers={"x-route": "eu-1", "x-tenant": TENANT}),
    )
    assert assert_problem(same, 409)["existingId"] == first["id"]
    other_tenant = await register(api, subscriber, receiver.url(), headers={**HEADERS, "X-Tenant": "t2"})
    plain = await register(api, subscriber, receiver.url())
    # PATCHing a registration's headers into another's is as much a duplicate
    clash = await api.patch(
        f"/api/webhook-registrations/{plain['id']}", headers=subscriber, json={"headers": HEADERS}
    )
    assert assert_problem(clash, 409)["existingId"] == first["id"]
    assert other_tenant["id"] != first["id"]

    # like a Basic password, a Bearer token is not part of what makes two registrations the same
    bearer = await register(api, subscriber, receiver.url("/b"), targetAuthorization=BEARER)
    again = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json=registration_body(receiver.url("/b"), targetAuthorization={**BEARER, "token": "another"}),
    )
    assert assert_problem(again, 409)["existingId"] == bearer["id"]
