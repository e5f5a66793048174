"""Helpers shared by the API tests: problem+json checks, request builders, signature verifiers."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hookline.clock import FrozenClock
from tests.conftest import Received

PROBLEM_JSON = "application/problem+json"
PROCESS_UPDATED = {"entityName": "Process", "type": 2}

REGISTRATION_FIELDS = {
    "id",
    "organizationId",
    "targetUrl",
    "description",
    "enabledEvents",
    "shouldGroup",
    "shouldGroupContinueAfterFail",
    "coalesceUpdates",
    "failingSince",
    "targetAuthorization",
    "clientCertificate",
    "headers",
    "isActive",
    "isPaused",
    "pausedAt",
    "retrySchedule",
    "maxRequestsPerSecond",
    "disabledReason",
    "expiresAt",
    "signatureScheme",
    "signingPublicKey",
    "createdAt",
    "updatedAt",
}
WEBHOOK_FIELDS = {
    "id",
    "registrationId",
    "webhookEventId",
    "eventId",
    "entityName",
    "type",
    "entityId",
    "groupKey",
    "state",
    "attemptCount",
    "nextAttemptAt",
    "createdAt",
    "updatedAt",
}
WEBHOOK_EXTENSIONS = {"organizationId"}
WEBHOOK_DETAIL_FIELDS = {"payload", "blockedBy"}
"""What `GET /api/webhooks/{id}` adds to a listed Webhook."""
ATTEMPT_FIELDS = {
    "id",
    "attemptNumber",
    "startedAt",
    "durationMs",
    "responseStatus",
    "responseBody",
    "error",
    "succeeded",
    "requestHeaders",
    "responseHeaders",
}
ATTEMPT_EXTENSIONS = {"webhookId"}
PAGE_FIELDS = {
    "items",
    "pageNumber",
    "pageSize",
    "totalPages",
    "totalCount",
    "hasPreviousPage",
    "hasNextPage",
}


def iso(instant: datetime) -> str:
    """How the API writes a timestamp: ISO-8601 UTC with `Z`."""
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with exactly `status`; answers its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON, response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def error_fields(response: httpx.Response) -> set[str]:
    """The `field` of each validation error of a 422 problem."""
    body = assert_problem(response, 422)
    return {error["field"] for error in body["errors"]}


def assert_page(
    body: dict[str, Any],
    *,
    page_number: int,
    page_size: int,
    total_count: int,
    items: int,
) -> None:
    assert set(body) == PAGE_FIELDS
    total_pages = -(-total_count // page_size)
    assert body["pageNumber"] == page_number
    assert body["pageSize"] == page_size
    assert body["totalCount"] == total_count
    assert body["totalPages"] == total_pages
    assert body["hasPreviousPage"] is (page_number > 1)
    assert body["hasNextPage"] is (page_number < total_pages)
    assert len(body["items"]) == items


def registration_body(target_url: str, *events: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"targetUrl": target_url, "enabledEvents": list(events) or [PROCESS_UPDATED], **fields}


async def register(
    api: httpx.AsyncClient,
    headers: dict[str, str],
    target_url: str,
    /,
    *events: dict[str, Any],
    **fields: Any,
) -> dict[str, Any]:
    """Create a registration and answer its body (with `signingSecret`); positional first, so
    `headers=` among `fields` is the registration's custom headers."""
    response = await api.post(
        "/api/webhook-registrations", headers=headers, json=registration_body(target_url, *events, **fields)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def publish(
    api: httpx.AsyncClient,
    headers: dict[str, str],
    entity_name: str = "Process",
    type_: int | str = 2,
    entity_id: str | int = "42",
    **fields: Any,
) -> dict[str, Any]:
    """Publish a domain event and answer `{eventId, webhookIds}`."""
    response = await api.post(
        "/api/events",
        headers=headers,
        json={"entityName": entity_name, "type": type_, "entityId": entity_id, **fields},
    )
    assert response.status_code == 202, response.text
    published: dict[str, Any] = response.json()
    return published


async def attempts(api: httpx.AsyncClient, headers: dict[str, str], webhook_id: str) -> list[dict[str, Any]]:
    """A Webhook's attempts, first page."""
    response = await api.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def webhook(api: httpx.AsyncClient, headers: dict[str, str], webhook_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/webhooks/{webhook_id}", headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


class FrozenWebhook(Webhook):  # type: ignore[misc]
    """The standardwebhooks verifier, with its timestamp check made against a FrozenClock.

    The library compares `webhook-timestamp` with the wall clock; hookline signs with the
    injected clock, so the check is redone against that clock (same 5-minute tolerance).
    """

    def __init__(self, secret: str, clock: FrozenClock) -> None:
        super().__init__(secret)
        self._clock = clock

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        try:
            timestamp = datetime.fromtimestamp(float(timestamp_header), tz=self._clock.now().tzinfo)
        except (ValueError, OverflowError):
            raise WebhookVerificationError("Invalid Signature Headers") from None
        if abs((timestamp - self._clock.now()).total_seconds()) > 300:
            raise WebhookVerificationError("Message timestamp outside the tolerance")
        return timestamp


def public_key_of(text: str) -> Ed25519PublicKey:
    """A `whpk_` key as the spec writes it: base64 of the 32 raw bytes."""
    assert text.startswith("whpk_"), text
    raw = base64.b64decode(text.removeprefix("whpk_"), validate=True)
    assert len(raw) == 32
    return Ed25519PublicKey.from_public_bytes(raw)


def verified_by(public_key: str, request: Received) -> list[int]:
    """The positions of the `webhook-signature` entries that `public_key` verifies: a receiver's
    Standard Webhooks v1a check, written with `cryptography` alone (no hookline code)."""
    key = public_key_of(public_key)
    headers = {name.lower(): value for name, value in request.headers.items()}
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + request.body
    positions = []
    for position, entry in enumerate(headers["webhook-signature"].split(" ")):
        version, _, signature = entry.partition(",")
        if version != "v1a":
            continue
        try:
            key.verify(base64.b64decode(signature, validate=True), signed)
        except InvalidSignature:
            continue
        positions.append(position)
    return positions


def assert_connection_refused(attempt: dict[str, Any]) -> None:
    """An attempt at a closed port: no response at all, and the error says why."""
    assert attempt["succeeded"] is False
    assert attempt["responseStatus"] is None
    assert attempt["responseBody"] is None
    assert attempt["error"] == "connection refused"
