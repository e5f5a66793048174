"""The HTTP request a receiver gets, exactly as API.md describes it, checked by an independent
Standard Webhooks verifier, on every attempt of a Webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError
from svix.webhooks import Webhook as SvixVerifier
from svix.webhooks import WebhookVerificationError as SvixVerificationError

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.conftest import Received, Reply
from tests.delivery.conftest import Client, LiveReceiver


def near_real_now(clock: FrozenClock) -> None:
    """The verifier checks timestamps against the wall clock, so freeze near it."""
    clock.set(datetime.now(UTC).replace(microsecond=0))


def hmac_signatures(secret: str, request: Received) -> list[str]:
    """Our own check of the signature header, independent of the clock."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (
        f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    )
    return ["v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()]


async def test_every_attempt_is_the_request_api_md_describes(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    near_real_now(clock)
    registration = await client.register(
        receiver.url(),
        targetAuthorization={"authorizationType": "Basic", "username": "alice", "password": "pa:ss wörd"},
    )
    webhook_id = await client.publish_one(
        "42", occurredAt="2026-11-29T12:00:00Z", data={"name": "Zürich", "nested": {"n": [1, 2.5, None]}}
    )
    webhook = await client.webhook(webhook_id)
    receiver.reply(Reply(status=500), Reply(status=200))

    timestamps = [int(clock.now().timestamp())]
    assert await runtime.worker.deliver_due() == 1
    timestamps.append(int(clock.advance(timedelta(minutes=5)).timestamp()))
    assert await runtime.worker.deliver_due() == 1

    first, second = receiver.requests
    for request, timestamp in zip(receiver.requests, timestamps, strict=True):
        assert request.method == "POST"
        assert request.path == "/hook"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["webhook-id"] == webhook_id
        assert request.headers["webhook-timestamp"] == str(timestamp)
        assert request.headers["webhook-signature"].split(" ") == hmac_signatures(
            registration["signingSecret"], request
        )
        expected_auth = base64.b64encode("alice:pa:ss wörd".encode()).decode()
        assert request.headers["Authorization"] == f"Basic {expected_auth}"
    assert first.body == second.body
    assert json.loads(first.body) == {
        "id": webhook_id,
        "registrationId": registration["id"],
        "organizationId": "acme",
        "eventId": webhook["eventId"],
        "entityName": "Process",
        "type": 2,
        "entityId": "42",
        "occurredAt": "2026-11-29T12:00:00Z",
        "data": {"name": "Zürich", "nested": {"n": [1, 2.5, None]}},
    }
    # The first attempt carries a timestamp the wall-clock verifier accepts.
    payload = Verifier(registration["signingSecret"]).verify(first.body, first.headers)
    assert payload["id"] == webhook_id
    with pytest.raises(WebhookVerificationError):
        Verifier("whsec_" + base64.b64encode(b"another secret!!").decode()).verify(first.body, first.headers)
    assert (await client.webhook(webhook_id))["state"] == 3


async def test_no_authorization_header_without_target_authorization(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url("/plain"))
    await client.register(receiver.url("/none"), targetAuthorization={"authorizationType": 0})
    await client.publish()

    assert await runtime.worker.deliver_due() == 2

    assert sorted(r.path for r in receiver.requests) == ["/none", "/plain"]
    for request in receiver.requests:
        assert "Authorization" not in request.headers
        assert "authorization" not in {name.lower() for name in request.headers}


async def test_event_without_data_sends_an_empty_object_and_its_own_occurred_at(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC))
    await client.register(receiver.url())
    await client.publish()

    assert await runtime.worker.deliver_due() == 1

    body = json.loads(receiver.requests[0].body)
    assert body["data"] == {}
    assert body["occurredAt"] == "2026-03-01T08:30:15.123Z"
    assert receiver.requests[0].headers["webhook-timestamp"] == str(int(clock.now().timestamp()))


async def test_signature_lists_the_old_secret_during_the_rotation_grace(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    near_real_now(clock)
    registration = await client.register(receiver.url())
    rotated = await client.http.post(
        f"/api/webhook-registrations/{registration['id']}/rotate-secret", headers=client.headers
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["signingSecret"]
    await client.publish()

    assert await runtime.worker.deliver_due() == 1

    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    for secret in (new_secret, registration["signingSecret"]):
        Verifier(secret).verify(request.body, request.headers)
        SvixVerifier(secret).verify(request.body, request.headers)  # raises if no signature matches
        assert set(hmac_signatures(secret, request)) <= set(signatures)
    with pytest.raises(SvixVerificationError):
        SvixVerifier("whsec_" + base64.b64encode(b"another secret!!").decode()).verify(
            request.body, request.headers
        )

    clock.advance(timedelta(hours=24, seconds=1))
    await client.publish("43")
    assert await runtime.worker.deliver_due() == 1
    later = receiver.requests[1]
    assert later.headers["webhook-signature"].split(" ") == hmac_signatures(new_secret, later)


async def test_several_rotations_sign_with_every_secret_still_in_its_grace_period(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    near_real_now(clock)
    registration = await client.register(receiver.url())
    secrets = [registration["signingSecret"]]
    for _ in range(4):
        rotated = await client.http.post(
            f"/api/webhook-registrations/{registration['id']}/rotate-secret", headers=client.headers
        )
        secrets.append(rotated.json()["signingSecret"])
    await client.publish()

    assert await runtime.worker.deliver_due() == 1

    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 4  # the current secret and the three most recently retired
    for secret in secrets[1:]:
        Verifier(secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(secrets[0]).verify(request.body, request.headers)
