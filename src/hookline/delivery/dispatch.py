"""Turn one claimed Webhook into one signed HTTP attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hookline.clock import Clock
from hookline.crypto import SecretBox
from hookline.delivery.payload import render_body
from hookline.delivery.request import webhook_headers
from hookline.delivery.sender import Sender, Sent
from hookline.domain import rotation
from hookline.domain.enums import AuthorizationType
from hookline.domain.records import Attempt, ClaimedWebhook


@dataclass(frozen=True, slots=True)
class Dispatched:
    webhook: ClaimedWebhook
    sent: Sent
    started_at: datetime

    def attempt(self, attempt_id: str) -> Attempt:
        """This try as the WebhookAttempt that records it."""
        return Attempt(
            id=attempt_id,
            webhook_id=self.webhook.id,
            attempt_number=self.webhook.attempt_number,
            started_at=self.started_at,
            duration_ms=self.sent.duration_ms,
            response_status=self.sent.result.status,
            response_body=self.sent.response_body,
            error=self.sent.result.error,
            succeeded=self.sent.result.succeeded,
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
        headers = webhook_headers(
            webhook_id=webhook.delivery_id,
            body=body,
            now=started_at,
            signing_secrets=self._signing_secrets(webhook, started_at),
            basic_credentials=self._credentials(webhook),
        )
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

    def _credentials(self, webhook: ClaimedWebhook) -> tuple[str, str] | None:
        if webhook.authorization_type is not AuthorizationType.BASIC:
            return None
        password = self._box.decrypt(webhook.encrypted_password) if webhook.encrypted_password else ""
        return webhook.username or "", password
