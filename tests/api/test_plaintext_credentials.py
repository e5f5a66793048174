"""Credentials only over TLS: a registration carrying credentials is refused for a plain http://
target outside the allowed networks (unless HOOKLINE_ALLOW_PLAINTEXT_CREDENTIALS), and
HOOKLINE_REQUIRE_HTTPS refuses every http:// target, at registration and at delivery.

Public addresses appear only as literals: registration judges them without sending anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.enums import AuthorizationType, WebhookState
from hookline.domain.urls import TransportRules
from hookline.runtime import Runtime
from tests.api.support import assert_problem, register, registration_body
from tests.conftest import Receiver, another_api_process

BASIC = {"authorizationType": "Basic", "username": "bob", "password": "s3cret-pw"}
CREDENTIALS_REFUSED = {
    "field": "targetAuthorization",
    "message": "Basic credentials are only sent over https://, and targetUrl is plain http:// outside"
    " HOOKLINE_ALLOWED_TARGET_NETWORKS",
}
HTTPS_REQUIRED = {"field": "targetUrl", "message": "must use https:// (HOOKLINE_REQUIRE_HTTPS is on)"}


@pytest.fixture
async def plaintext_allowed(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    async with another_api_process(settings, clock, allow_plaintext_credentials=True) as (_, client):
        yield client


@pytest.fixture
async def https_only(
    settings: Settings, clock: FrozenClock
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with another_api_process(settings, clock, require_https=True) as started:
        yield started


async def _refusal(api: httpx.AsyncClient, headers: dict[str, str], method: str, path: str, body: Any) -> Any:
    problem = assert_problem(await api.request(method, path, headers=headers, json=body), 422)
    return problem["errors"]


def test_every_authorization_type_but_none_carries_credentials() -> None:
    """The one place a new type (Bearer, OAuth2) joins the rule: it is kept off plain http."""
    assert [kind for kind in AuthorizationType if not kind.carries_credentials] == [AuthorizationType.NONE]
    rules = TransportRules()
    for kind in AuthorizationType:
        refused = rules.refusal("http://93.184.216.34/hook", kind) is not None
        assert refused == kind.carries_credentials


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "HTTP://[2606:4700:4700::1111]:8080/hook"])
async def test_credentials_over_plain_http_to_a_public_target_are_refused(
    api: httpx.AsyncClient, subscriber: dict[str, str], url: str
) -> None:
    body = registration_body(url, targetAuthorization=BASIC)
    assert await _refusal(api, subscriber, "POST", "/api/webhook-registrations", body) == [
        CREDENTIALS_REFUSED
    ]
    assert (await api.get("/api/webhook-registrations", headers=subscriber)).json()["totalCount"] == 0


@pytest.mark.parametrize(
    ("url", "auth"),
    [
        ("https://93.184.216.34/hook", BASIC),  # TLS
        ("http://93.184.216.34/hook", None),  # nothing secret to carry
        ("http://127.0.0.1:9/hook", BASIC),  # inside the allowed networks (as in local development)
        ("http://localhost:9/hook", BASIC),  # a name whose every address is allowed
        ("http://[::ffff:127.0.0.1]:9/hook", BASIC),  # the same connection as 127.0.0.1
    ],
)
async def test_credentials_may_travel_over_tls_or_to_an_allowed_network(
    api: httpx.AsyncClient, subscriber: dict[str, str], url: str, auth: dict[str, str] | None
) -> None:
    fields = {"targetAuthorization": auth} if auth else {}
    created = await register(api, subscriber, url, **fields)
    assert created["targetUrl"] == url


async def test_the_operator_may_allow_plaintext_credentials(
    plaintext_allowed: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    created = await register(
        plaintext_allowed, subscriber, "http://93.184.216.34/hook", targetAuthorization=BASIC
    )
    assert created["targetAuthorization"] == {"authorizationType": 1, "username": "bob"}


async def test_patch_cannot_move_credentials_onto_plain_http(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    over_tls = await register(api, subscriber, "https://93.184.216.34/hook", targetAuthorization=BASIC)
    without = await register(api, subscriber, "http://93.184.216.34/other")

    moved = {"targetUrl": "http://93.184.216.34/hook"}
    assert await _refusal(
        api, subscriber, "PATCH", f"/api/webhook-registrations/{over_tls['id']}", moved
    ) == [CREDENTIALS_REFUSED]
    added = {"targetAuthorization": BASIC}
    assert await _refusal(api, subscriber, "PATCH", f"/api/webhook-registrations/{without['id']}", added) == [
        CREDENTIALS_REFUSED
    ]

    unchanged = await api.get(f"/api/webhook-registrations/{over_tls['id']}", headers=subscriber)
    assert unchanged.json()["targetUrl"] == "https://93.184.216.34/hook"
    still_none = await api.get(f"/api/webhook-registrations/{without['id']}", headers=subscriber)
    assert still_none.json()["targetAuthorization"]["authorizationType"] == 0
    dropped = await api.patch(
        f"/api/webhook-registrations/{over_tls['id']}",
        headers=subscriber,
        json={"targetUrl": "http://93.184.216.34/hook", "targetAuthorization": {"authorizationType": "None"}},
    )
    assert dropped.status_code == 200, dropped.text


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "http://127.0.0.1:9/hook"])
async def test_require_https_refuses_every_plain_http_target(
    https_only: tuple[Runtime, httpx.AsyncClient], subscriber: dict[str, str], url: str
) -> None:
    _, api = https_only
    assert await _refusal(api, subscriber, "POST", "/api/webhook-registrations", registration_body(url)) == [
        HTTPS_REQUIRED
    ]
    created = await register(api, subscriber, "https://93.184.216.34/hook")
    moved = {"targetUrl": url}
    path = f"/api/webhook-registrations/{created['id']}"
    assert await _refusal(api, subscriber, "PATCH", path, moved) == [HTTPS_REQUIRED]


async def test_require_https_stops_delivery_to_a_target_registered_before_the_switch(
    api: httpx.AsyncClient,
    https_only: tuple[Runtime, httpx.AsyncClient],
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    registered = await register(api, subscriber, receiver.url())
    published = await api.post(
        "/api/events", headers=publisher, json={"entityName": "Process", "type": 2, "entityId": "42"}
    )
    [webhook_id] = published.json()["webhookIds"]
    strict, strict_api = https_only

    assert await strict.worker.deliver_due() == 1
    tested = await strict_api.post(f"/api/webhook-registrations/{registered['id']}/test", headers=subscriber)

    assert receiver.requests == []
    [attempt] = (await api.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=subscriber)).json()[
        "items"
    ]
    assert attempt["error"] == "blocked target: targetUrl must use https:// (HOOKLINE_REQUIRE_HTTPS is on)"
    assert (await api.get(f"/api/webhooks/{webhook_id}", headers=subscriber)).json()[
        "state"
    ] == WebhookState.FAILED
    assert tested.json()["error"].startswith("blocked target: targetUrl must use https://")
