"""OAuth2 client credentials against a real token endpoint on loopback: one token serves many
deliveries, a new one is fetched shortly before expiry and after a 401, and every way the
token request can fail is recorded on the attempt as `oauth2: ...` without reaching the target."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from hookline.clock import FrozenClock
from hookline.domain.enums import WebhookState
from hookline.runtime import Runtime
from tests.conftest import Reply, serving
from tests.delivery.conftest import Client, LiveReceiver
from tests.token_endpoint import TokenEndpoint

SECRET = "s3cr:et wörd+1"


@pytest.fixture
async def token_endpoint() -> AsyncIterator[TokenEndpoint]:
    async with serving(TokenEndpoint()) as endpoint:
        yield endpoint


def oauth2(token_url: str, **fields: str) -> dict[str, Any]:
    return {
        "targetAuthorization": {
            "authorizationType": "OAuth2",
            "tokenUrl": token_url,
            "clientId": "hookline-client",
            "clientSecret": SECRET,
        }
        | fields
    }


def bearer_tokens(receiver: LiveReceiver) -> list[str]:
    return [request.headers["Authorization"] for request in receiver.requests]


async def test_one_token_serves_many_deliveries(
    client: Client, runtime: Runtime, receiver: LiveReceiver, token_endpoint: TokenEndpoint
) -> None:
    registration = await client.register(
        receiver.url(),
        **oauth2(token_endpoint.url("/token"), scope="hooks.write hooks.read", audience="https://api"),
    )
    assert registration["targetAuthorization"] == {
        "authorizationType": 3,
        "tokenUrl": token_endpoint.url("/token"),
        "clientId": "hookline-client",
        "scope": "hooks.write hooks.read",
        "audience": "https://api",
    }
    webhook_ids = [await client.publish_one(str(entity)) for entity in range(5)]

    assert await runtime.worker.deliver_due() == 5  # concurrently: they wait for one token request

    [token_request] = token_endpoint.requests
    assert token_request.method == "POST"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.body.decode(), strict_parsing=True) == {
        "grant_type": ["client_credentials"],
        "scope": ["hooks.write hooks.read"],
        "audience": ["https://api"],
    }
    # RFC 6749 §2.3.1: client id and secret form-encoded, then HTTP Basic
    expected = base64.b64encode(b"hookline-client:s3cr%3Aet+w%C3%B6rd%2B1").decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert bearer_tokens(receiver) == ["Bearer token-1"] * 5
    assert await client.states(*webhook_ids) == [WebhookState.SUCCESSFUL] * 5
    [attempt] = await client.attempts(webhook_ids[0])
    assert attempt["requestHeaders"]["Authorization"] == "Bearer •••"


async def test_a_token_is_replaced_shortly_before_it_expires(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    token_endpoint: TokenEndpoint,
    clock: FrozenClock,
) -> None:
    await client.register(receiver.url(), **oauth2(token_endpoint.url("/token")))
    for entity, advance in (("1", 0), ("2", 3000), ("3", 569), ("4", 2)):  # expires_in 3600
        clock.advance(timedelta(seconds=advance))
        await client.publish_one(entity)
        assert await runtime.worker.deliver_due() == 1
    # 3569 s after the first request it is still good; 3571 s is within the last 30 s: replaced
    assert bearer_tokens(receiver) == ["Bearer token-1", "Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert len(token_endpoint.requests) == 2


async def test_a_401_to_a_cached_token_is_sent_again_with_a_new_one_in_the_same_attempt(
    client: Client, runtime: Runtime, receiver: LiveReceiver, token_endpoint: TokenEndpoint
) -> None:
    await client.register(receiver.url(), **oauth2(token_endpoint.url("/token")))
    await client.publish_one("1")
    assert await runtime.worker.deliver_due() == 1
    receiver.reply(Reply(status=401, body="token revoked"))
    webhook_id = await client.publish_one("2")

    assert await runtime.worker.deliver_due() == 1

    assert bearer_tokens(receiver) == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert receiver.ids()[1:] == [webhook_id, webhook_id]
    [attempt] = await client.attempts(webhook_id)
    assert (attempt["succeeded"], attempt["responseStatus"]) == (True, 200)
    assert await client.states(webhook_id) == [WebhookState.SUCCESSFUL]


async def test_a_401_to_a_token_fetched_for_the_attempt_fails_it_without_asking_again(
    client: Client, runtime: Runtime, receiver: LiveReceiver, token_endpoint: TokenEndpoint
) -> None:
    await client.register(receiver.url(), **oauth2(token_endpoint.url("/token")))
    receiver.reply(Reply(status=401, body="who are you"))
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    assert len(token_endpoint.requests) == 1
    assert bearer_tokens(receiver) == ["Bearer token-1"]
    [attempt] = await client.attempts(webhook_id)
    assert (attempt["succeeded"], attempt["responseStatus"]) == (False, 401)


async def test_a_changed_client_secret_gets_a_new_token(
    client: Client, runtime: Runtime, receiver: LiveReceiver, token_endpoint: TokenEndpoint
) -> None:
    registration = await client.register(receiver.url(), **oauth2(token_endpoint.url("/token")))
    await client.publish_one("1")
    assert await runtime.worker.deliver_due() == 1
    changed = oauth2(token_endpoint.url("/token"), clientSecret="another-secret")
    answer = await client.http.patch(
        f"/api/webhook-registrations/{registration['id']}", headers=client.headers, json=changed
    )
    assert answer.status_code == 200, answer.text
    await client.publish_one("2")

    assert await runtime.worker.deliver_due() == 1

    assert bearer_tokens(receiver) == ["Bearer token-1", "Bearer token-2"]
    assert (
        token_endpoint.requests[1].headers["Authorization"]
        == "Basic " + base64.b64encode(b"hookline-client:another-secret").decode()
    )


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            Reply(
                status=401, body=json.dumps({"error": "invalid_client", "error_description": "bad secret"})
            ),
            "oauth2: token endpoint answered HTTP 401 (invalid_client: bad secret)",
        ),
        (Reply(status=503, body="<html>down</html>"), "oauth2: token endpoint answered HTTP 503"),
        (Reply(status=200, body="<html>not json</html>"), "oauth2: token endpoint answered malformed JSON"),
        (
            Reply(status=200, body='{"token_type": "Bearer"}'),
            "oauth2: token endpoint answered no access_token",
        ),
        (
            Reply(status=200, body='{"access_token": "abc", "token_type": "mac"}'),
            "oauth2: token_type 'mac' is not Bearer",
        ),
    ],
    ids=["invalid-client", "unavailable", "malformed-json", "no-access-token", "not-bearer"],
)
async def test_a_token_failure_is_recorded_on_the_attempt_and_nothing_is_sent(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    token_endpoint: TokenEndpoint,
    reply: Reply,
    error: str,
) -> None:
    await client.register(receiver.url(), **oauth2(token_endpoint.url("/token")))
    token_endpoint.reply(reply)
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    assert receiver.requests == []
    [attempt] = await client.attempts(webhook_id)
    assert (attempt["succeeded"], attempt["responseStatus"], attempt["error"]) == (False, None, error)
    assert attempt["requestHeaders"] == {}
    assert await client.states(webhook_id) == [WebhookState.RETRYING]


async def test_an_unreachable_token_endpoint_is_named_on_the_attempt(
    client: Client, runtime: Runtime, receiver: LiveReceiver, closed_port: int
) -> None:
    await client.register(receiver.url(), **oauth2(f"http://127.0.0.1:{closed_port}/token"))
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    assert receiver.requests == []
    [attempt] = await client.attempts(webhook_id)
    assert attempt["error"] == "oauth2: token endpoint unreachable: connection refused"
