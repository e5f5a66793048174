"""Turn one claimed Webhook into one signed HTTP attempt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from hookline.clock import Clock
from hookline.crypto import SecretBox
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
    def __init__(self, *, sender: Sender, box: SecretBox, clock: Clock) -> None:
        self._sender = sender
        self._box = box
        self._clock = clock

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
        except ValueError as error:  # a secret this key cannot decrypt: a failed attempt, not a loop
            unsigned = AttemptResult(None, error=f"cannot sign: {error}"[:ERROR_MAX_CHARS])
            return Dispatched(webhook, Sent(unsigned, None, 0, ()), started_at)  # nothing was sent
        sent = await self._sender.post(webhook.target_url, headers, body, now=started_at)
        return Dispatched(webhook, sent, started_at)

    async def send_probe(self, webhook: ClaimedWebhook) -> Attempt:
        """One attempt that nothing records (a test webhook); its id is the webhook's."""
        return (await self.dispatch(webhook)).attempt(webhook.id)

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
