"""`signatureScheme: "v1a"`: Ed25519 signatures (Standard Webhooks), checked the way a receiver
would, with `cryptography` and the spec alone: decode the `whpk_` key, verify each `v1a,`
signature over "{webhook-id}.{webhook-timestamp}.{body}" (nothing of hookline's signing code:
see `verified_by` in support.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.api.support import (
    FrozenWebhook,
    assert_problem,
    attempts,
    error_fields,
    public_key_of,
    publish,
    register,
    registration_body,
    verified_by,
)
from tests.conftest import Received, Receiver

URL = "/api/webhook-registrations"


async def register_v1a(
    api: httpx.AsyncClient, subscriber: dict[str, str], url: str, **fields: Any
) -> dict[str, Any]:
    return await register(api, subscriber, url, signatureScheme="v1a", **fields)


async def test_a_v1a_registration_shows_its_public_key_and_its_requests_verify_with_it(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register_v1a(api, subscriber, receiver.url())
    assert created["signatureScheme"] == "v1a"
    assert "signingSecret" not in created
    public_key = created["signingPublicKey"]
    public_key_of(public_key)
    for read in (f"{URL}/{created['id']}", URL):  # on every read, never a secret
        answer = await api.get(read, headers=subscriber)
        assert answer.status_code == 200
        assert public_key in answer.text and "whsk_" not in answer.text and "signingSecret" not in answer.text

    published = await publish(api, publisher, entity_id="7")
    assert await runtime.worker.deliver_due() == 1
    [request] = receiver.requests
    assert request.headers["webhook-id"] == published["webhookIds"][0]
    assert request.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    assert request.headers["webhook-signature"].startswith("v1a,")
    assert verified_by(public_key, request) == [0]
    tampered = Received(request.method, request.path, request.headers, request.body.replace(b"7", b"8"))
    assert verified_by(public_key, tampered) == []

    [attempt] = await attempts(api, subscriber, published["webhookIds"][0])
    assert attempt["requestHeaders"]["webhook-signature"] == "v1a,•••"


async def test_the_default_scheme_stays_v1_hmac(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register(api, subscriber, receiver.url())
    assert created["signatureScheme"] == "v1" and created["signingPublicKey"] is None
    assert created["signingSecret"].startswith("whsec_")
    explicit = await register(api, subscriber, receiver.url("/other"), signatureScheme="v1")
    assert explicit["signatureScheme"] == "v1" and explicit["signingSecret"].startswith("whsec_")

    await publish(api, publisher)
    assert await runtime.worker.deliver_due() == 2
    request = next(r for r in receiver.requests if r.path == "/hook")
    assert request.headers["webhook-signature"].startswith("v1,")
    FrozenWebhook(created["signingSecret"], clock).verify(request.body, request.headers)


@pytest.mark.parametrize("scheme", ["v2", "V1A", "ed25519", "", 1, None, True])
async def test_an_unknown_scheme_is_422_and_creates_nothing(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver, scheme: object
) -> None:
    body = registration_body(receiver.url(), signatureScheme=scheme)
    response = await api.post(URL, headers=subscriber, json=body)
    assert_problem(response, 422)
    assert error_fields(response) == {"signatureScheme"}
    assert (await api.get(URL, headers=subscriber)).json()["totalCount"] == 0


@pytest.mark.parametrize("scheme", ["v1", "v1a"])
async def test_the_scheme_cannot_be_changed_by_patch(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver, scheme: str
) -> None:
    created = await register_v1a(api, subscriber, receiver.url())
    path = f"{URL}/{created['id']}"
    response = await api.patch(path, headers=subscriber, json={"signatureScheme": scheme, "description": "x"})
    problem = assert_problem(response, 422)
    assert error_fields(response) == {"signatureScheme"}
    assert "not changed by PATCH" in problem["detail"] and "rotate-secret" in problem["detail"]
    after = (await api.get(path, headers=subscriber)).json()
    assert after["signatureScheme"] == "v1a" and after["description"] is None
    assert after["signingPublicKey"] == created["signingPublicKey"]


async def test_a_rotated_key_signs_alongside_the_old_one_for_24_hours(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register_v1a(api, subscriber, receiver.url())
    old_key = created["signingPublicKey"]
    path = f"{URL}/{created['id']}"

    rotated = await api.post(f"{path}/rotate-secret", headers=subscriber)
    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json()) == {"signingPublicKey"}
    new_key = rotated.json()["signingPublicKey"]
    assert new_key != old_key
    public_key_of(new_key)
    read = (await api.get(path, headers=subscriber)).json()
    assert read["signingPublicKey"] == new_key and read["signatureScheme"] == "v1a"

    clock.advance(timedelta(hours=23, minutes=59))
    await publish(api, publisher, entity_id="1")
    assert await runtime.worker.deliver_due() == 1
    during = receiver.requests[-1]
    signatures = during.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(entry.startswith("v1a,") for entry in signatures)
    assert verified_by(new_key, during) == [0]  # the current key first
    assert verified_by(old_key, during) == [1]

    clock.advance(timedelta(minutes=2))
    await publish(api, publisher, entity_id="2")
    assert await runtime.worker.deliver_due() == 1
    after = receiver.requests[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verified_by(new_key, after) == [0]
    assert verified_by(old_key, after) == []


async def test_rotating_into_the_other_scheme_keeps_the_old_key_signing_for_24_hours(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    created = await register(api, subscriber, receiver.url())
    path = f"{URL}/{created['id']}"
    switched = await api.post(f"{path}/rotate-secret", headers=subscriber, json={"signatureScheme": "v1a"})
    assert switched.status_code == 200, switched.text
    assert set(switched.json()) == {"signingPublicKey"}
    public_key = switched.json()["signingPublicKey"]
    read = (await api.get(path, headers=subscriber)).json()
    assert read["signatureScheme"] == "v1a" and read["signingPublicKey"] == public_key

    clock.advance(timedelta(hours=23, minutes=59))
    await publish(api, publisher, entity_id="1")
    assert await runtime.worker.deliver_due() == 1
    during = receiver.requests[-1]
    assert [entry.partition(",")[0] for entry in during.headers["webhook-signature"].split(" ")] == [
        "v1a",
        "v1",
    ]
    assert verified_by(public_key, during) == [0]
    FrozenWebhook(created["signingSecret"], clock).verify(during.body, during.headers)  # the old v1 too

    clock.advance(timedelta(minutes=2))
    back = await api.post(f"{path}/rotate-secret", headers=subscriber, json={"signatureScheme": "v1"})
    assert set(back.json()) == {"signingSecret"}
    read = (await api.get(path, headers=subscriber)).json()
    assert read["signatureScheme"] == "v1" and read["signingPublicKey"] is None
    await publish(api, publisher, entity_id="2")
    assert await runtime.worker.deliver_due() == 1
    after = receiver.requests[-1]  # the first v1 secret has retired; the v1a key signs for 24 h
    assert [entry.partition(",")[0] for entry in after.headers["webhook-signature"].split(" ")] == [
        "v1",
        "v1a",
    ]
    FrozenWebhook(back.json()["signingSecret"], clock).verify(after.body, after.headers)
    assert verified_by(public_key, after) == [1]
    with pytest.raises(WebhookVerificationError):
        FrozenWebhook(created["signingSecret"], clock).verify(after.body, after.headers)


async def test_rotating_into_an_unknown_scheme_is_422_and_changes_nothing(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    created = await register_v1a(api, subscriber, receiver.url())
    path = f"{URL}/{created['id']}"
    refused = await api.post(f"{path}/rotate-secret", headers=subscriber, json={"signatureScheme": "v3"})
    assert_problem(refused, 422)
    assert error_fields(refused) == {"signatureScheme"}
    assert (await api.get(path, headers=subscriber)).json()["signingPublicKey"] == created["signingPublicKey"]


async def test_the_test_send_and_verify_on_create_sign_with_ed25519(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    created = await register_v1a(api, subscriber, receiver.url(), verify=True)
    [verify_request] = receiver.requests
    assert verified_by(created["signingPublicKey"], verify_request) == [0]

    tested = await api.post(f"{URL}/{created['id']}/test", headers=subscriber)
    assert tested.status_code == 200 and tested.json()["succeeded"] is True
    test_request = receiver.requests[-1]
    assert test_request.headers["webhook-id"] == tested.json()["id"]
    assert verified_by(created["signingPublicKey"], test_request) == [0]


async def test_an_idempotent_replay_answers_the_public_key_and_no_secret(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    body = registration_body(receiver.url(), signatureScheme="v1a")
    headers = subscriber | {"Idempotency-Key": "create-v1a-once"}
    first = await api.post(URL, headers=headers, json=body)
    again = await api.post(URL, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert "signingSecret" not in again.json() and "whsk_" not in again.text
