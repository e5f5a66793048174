"""`verify: true` on create: a signed test webhook first; no 2xx, no registration."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook as Verifier

from tests.api.support import assert_problem, registration_body
from tests.conftest import Receiver, Reply

URL = "/api/webhook-registrations"
REFUSED_URL = "http://127.0.0.1:9/hook"  # the discard port: nothing listens there


async def test_a_target_answering_2xx_is_registered_with_the_secret_it_was_tested_with(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    body = registration_body(receiver.url(), verify=True)
    body["targetAuthorization"] = {"authorizationType": "Basic", "username": "u", "password": "p"}
    created = await api.post(URL, headers=subscriber, json=body)

    assert created.status_code == 201, created.text
    [probe] = receiver.requests
    payload = json.loads(probe.body)
    assert (payload["entityName"], payload["entityId"]) == ("WebhookRegistration", created.json()["id"])
    assert probe.headers["Authorization"] == "Basic dTpw"
    expected = Verifier(created.json()["signingSecret"]).sign(
        probe.headers["webhook-id"],
        datetime.fromtimestamp(int(probe.headers["webhook-timestamp"]), UTC),
        probe.body.decode(),
    )
    assert probe.headers["webhook-signature"] == expected


async def test_a_failing_target_is_refused_with_the_attempt_and_nothing_is_stored(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    receiver.reply(Reply(status=503, body="maintenance"))
    refused = await api.post(URL, headers=subscriber, json=registration_body(receiver.url(), verify=True))

    problem = assert_problem(refused, 422)
    assert problem["errors"][0]["field"] == "targetUrl"
    assert "HTTP 503" in problem["errors"][0]["message"]
    attempt = problem["attempt"]
    assert (attempt["responseStatus"], attempt["responseBody"], attempt["succeeded"]) == (
        503,
        "maintenance",
        False,
    )
    assert (await api.get(URL, headers=subscriber)).json()["totalCount"] == 0

    unreachable = await api.post(URL, headers=subscriber, json=registration_body(REFUSED_URL, verify=True))
    assert assert_problem(unreachable, 422)["attempt"]["error"] == "connection refused"


async def test_without_verify_nothing_is_sent(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    assert (
        await api.post(URL, headers=subscriber, json=registration_body(receiver.url()))
    ).status_code == 201
    assert receiver.requests == []
