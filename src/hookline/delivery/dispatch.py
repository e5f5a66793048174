"""Turn one claimed Webhook into one signed HTTP attempt, traced and logged."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from yarl import URL

from hookline.clock import Clock
from hookline.crypto import SecretBox
from hookline.delivery.oauth2 import Credentials, TokenSource
from hookline.delivery.request import (
    basic_authorization,
    bearer_authorization,
    masked_headers,
    webhook_headers,
)
from hookline.delivery.sender import ERROR_MAX_CHARS, Sender, Sent
from hookline.domain import rotation
from hookline.domain.enums import AuthorizationType
from hookline.domain.outcome import AttemptResult
from hookline.domain.payload import render_body
from hookline.domain.records import Attempt, ClaimedWebhook
from hookline.tracing import Tracing

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Dispatched:
    webhook: ClaimedWebhook
    sent: Sent
    started_at: datetime

    def attempt(self, attempt_id: str) -> Attempt:
        """This try as the WebhookAttempt that records it, its secrets masked."""
        return Attempt(
            id=attempt_id,
            webhook_id=self.webhook.id,
            registration_id=self.webhook.registration_id,
            organization_id=self.webhook.organization_id,
            attempt_number=self.webhook.attempt_number,
            started_at=self.started_at,
            duration_ms=self.sent.duration_ms,
            response_status=self.sent.result.status,
            response_body=self.sent.response_body,
            error=self.sent.result.error,
            succeeded=self.sent.result.succeeded,
            request_headers=masked_headers(self.sent.request_headers),
            response_headers=self.sent.response_headers,
        )


class Dispatcher:
    def __init__(
        self, *, sender: Sender, box: SecretBox, clock: Clock, tracing: Tracing | None = None
    ) -> None:
        self._sender = sender
        self._box = box
        self._clock = clock
        self._tracing = tracing or Tracing()
        self._tokens = TokenSource(sender=sender, clock=clock)

    async def dispatch(self, webhook: ClaimedWebhook) -> Dispatched:
        started_at = self._clock.now()
        body = render_body(
            webhook_id=webhook.id,
            registration_id=webhook.registration_id,
            organization_id=webhook.organization_id,
            event_id=webhook.event_id,
            entity_name=webhook.entity_name,
            type_=webhook.type.value,
            entity_id=webhook.entity_id,
            occurred_at=webhook.occurred_at,
            data_json=webhook.payload,
            relation_json=webhook.relation,
        )
        try:
            headers = webhook_headers(
                webhook_id=webhook.delivery_id,
                body=body,
                now=started_at,
                signing_secrets=self._signing_secrets(webhook, started_at),
                authorization=self._authorization(webhook),
                custom_headers=self._custom_headers(webhook),
            )
            certificate = (
                self._box.decrypt(webhook.encrypted_client_certificate)
                if webhook.encrypted_client_certificate
                else None
            )
            oauth2 = self._oauth2_credentials(webhook, certificate)
        except ValueError as error:  # a secret this key cannot decrypt: a failed attempt, not a loop
            unsigned = AttemptResult(None, error=f"cannot sign: {error}"[:ERROR_MAX_CHARS])
            return Dispatched(webhook, Sent(unsigned, None, 0, ()), started_at)  # nothing was sent

        async def send(headers: dict[str, str]) -> Sent:
            return await self._post(webhook, headers, body, started_at, certificate)

        if oauth2 is not None:
            sent = await self._tokens.send(oauth2, headers, send)
        else:
            sent = await send(headers)
        if log.isEnabledFor(logging.DEBUG):
            _log_attempt(webhook, sent)
        return Dispatched(webhook, sent, started_at)

    async def send_probe(self, webhook: ClaimedWebhook) -> Attempt:
        """One attempt that nothing records (a test webhook); its id is the webhook's."""
        return (await self.dispatch(webhook)).attempt(webhook.id)

    async def _post(
        self,
        webhook: ClaimedWebhook,
        headers: dict[str, str],
        body: bytes,
        started_at: datetime,
        certificate: str | None,
    ) -> Sent:
        """Send, traced when tracing is on: inside the attempt's span, a child of the event's
        fan-out, and tell the target."""
        if not self._tracing.enabled:
            if webhook.traceparent is not None:
                headers["traceparent"] = webhook.traceparent  # checked when stored: handed on as is
            return await self._sender.post(
                webhook.target_url, headers, body, now=started_at, client_certificate=certificate
            )
        with self._tracing.span("hookline.attempt", parent=webhook.traceparent, kind=SpanKind.CLIENT) as span:
            traceparent = self._tracing.traceparent(webhook.traceparent)
            if traceparent is not None:
                headers["traceparent"] = traceparent
            sent = await self._sender.post(
                webhook.target_url, headers, body, now=started_at, client_certificate=certificate
            )
            if span.is_recording():  # not when the sampler dropped it
                _describe(span, webhook, sent)
        return sent

    def _oauth2_credentials(self, webhook: ClaimedWebhook, certificate: str | None) -> Credentials | None:
        if webhook.authorization_type is not AuthorizationType.OAUTH2 or webhook.oauth2 is None:
            return None
        secret = self._box.decrypt(webhook.encrypted_secret) if webhook.encrypted_secret else ""
        return Credentials(webhook.registration_id, webhook.oauth2, secret, certificate)

    def _signing_secrets(self, webhook: ClaimedWebhook, now: datetime) -> list[str]:
        """The current secret, plus retired ones while their grace period after rotation lasts."""
        current = self._box.decrypt(webhook.signing_secret)
        if webhook.retired_signing_secrets is None:
            return [current]
        retired = rotation.decode(self._box.decrypt(webhook.retired_signing_secrets))
        return rotation.signing_secrets(current, retired, now)

    def _authorization(self, webhook: ClaimedWebhook) -> str | None:
        """The `Authorization` header the target asked for, if any."""
        secret = self._box.decrypt(webhook.encrypted_secret) if webhook.encrypted_secret else ""
        if webhook.authorization_type is AuthorizationType.BASIC:
            return basic_authorization(webhook.username or "", secret)
        if webhook.authorization_type is AuthorizationType.BEARER:
            return bearer_authorization(secret)
        return None

    def _custom_headers(self, webhook: ClaimedWebhook) -> dict[str, str]:
        if webhook.encrypted_headers is None:
            return {}
        headers: dict[str, str] = json.loads(self._box.decrypt(webhook.encrypted_headers))
        return headers


def _describe(span: Span, webhook: ClaimedWebhook, sent: Sent) -> None:
    """The attempt's span attributes (OpenTelemetry HTTP client conventions where they fit;
    the target's host, not its URL, whose path or query may carry a token)."""
    target = URL(webhook.target_url)
    span.set_attributes(
        {
            "http.request.method": "POST",
            "url.scheme": target.scheme,
            "server.address": target.host or "",
            "server.port": target.port or 0,
            "hookline.webhook.id": webhook.id,
            "hookline.registration.id": webhook.registration_id,
            "hookline.organization.id": webhook.organization_id,
            "hookline.event.id": webhook.event_id,
            "hookline.attempt.number": webhook.attempt_number,
        }
    )
    result = sent.result
    if result.status is not None:
        span.set_attribute("http.response.status_code", result.status)
    if not result.succeeded:
        span.set_attribute(
            "error.type", str(result.status) if result.error is None else result.error.split(":")[0]
        )
        span.set_status(Status(StatusCode.ERROR, result.error or f"HTTP {result.status}"))


def _log_attempt(webhook: ClaimedWebhook, sent: Sent) -> None:
    result = sent.result
    outcome = "delivered" if result.succeeded else "failed"
    detail = result.error or f"HTTP {result.status}"
    log.debug(
        "attempt %d of %s %s: %s",
        webhook.attempt_number,
        webhook.id,
        outcome,
        detail,
        extra=log_fields(webhook) | {"response_status": result.status, "duration_ms": sent.duration_ms},
    )


def log_fields(webhook: ClaimedWebhook) -> dict[str, object]:
    """The ids a delivery log line carries as fields (`HOOKLINE_LOG_FORMAT=json`)."""
    return {
        "webhook_id": webhook.id,
        "registration_id": webhook.registration_id,
        "organization_id": webhook.organization_id,
        "attempt_number": webhook.attempt_number,
    }
