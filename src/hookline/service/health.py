"""Registration health: failing streaks, deactivation, and the operational events announcing them.

Shared by the worker (after each batch of attempts) and the maintenance job. Everything runs in
the caller's transaction, so a deactivation, the aborting of its Webhooks and the event that
announces it commit together or not at all. Operational events (entities `WebhookRegistration`
and `Webhook`) fan out like any domain event, so an organization can point another endpoint at
them.
"""

from __future__ import annotations

import json
from datetime import datetime

from hookline.domain.catalog import OPERATIONAL_ENTITIES
from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.grouping import group_key_of
from hookline.domain.outcome import AttemptOutcome
from hookline.service.fanout import EventRecord, FanOut
from hookline.store import registrations as reg_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Connection, Transaction

GONE_REASON = "target answered 410 Gone"


class Health:
    def __init__(self, fanout: FanOut) -> None:
        self._fanout = fanout

    async def record_streaks(self, conn: Connection, outcomes: list[tuple[str, bool]], now: datetime) -> None:
        """Start or end failing streaks from (registration id, attempt succeeded) pairs."""
        succeeded = {registration_id for registration_id, ok in outcomes if ok}
        failed = {registration_id for registration_id, ok in outcomes if not ok} - succeeded
        await reg_store.mark_attempt_outcomes(conn, succeeded, failed, now)

    async def record(self, conn: Transaction, outcomes: list[AttemptOutcome], now: datetime) -> None:
        """Deactivate targets that answered 410 Gone and announce every Webhook that entered
        Failed (except Webhooks of operational events: no feedback loop)."""
        failures = [
            _webhook_failed(o, now)
            for o in outcomes
            if o.state is WebhookState.FAILED and o.webhook.entity_name not in OPERATIONAL_ENTITIES
        ]
        if failures:
            await self._fanout.write(conn, failures)
        for registration_id in sorted({o.webhook.registration_id for o in outcomes if o.target_gone}):
            await self.deactivate(conn, registration_id, GONE_REASON, now)

    async def deactivate(self, conn: Transaction, registration_id: str, reason: str, now: datetime) -> bool:
        """Deactivate an active registration, abort its unfinished Webhooks and announce it.

        False if it was not active any more (another process got there first): nothing changes.
        """
        changed = await reg_store.deactivate_registration(conn, registration_id, reason, now)
        if changed is None:
            return False
        organization_id, target_url = changed
        aborted = await webhooks_store.abort_unfinished(conn, registration_id, now)
        data = {
            "registrationId": registration_id,
            "targetUrl": target_url,
            "isActive": False,
            "disabledReason": reason,
            "abortedWebhooks": aborted,
        }
        await self._fanout.write(
            conn, [_operational(organization_id, "WebhookRegistration", registration_id, data, now)]
        )
        return True


def _webhook_failed(outcome: AttemptOutcome, now: datetime) -> EventRecord:
    webhook = outcome.webhook
    data = {
        "webhookId": webhook.id,
        "registrationId": webhook.registration_id,
        "eventId": webhook.event_id,
        "entityName": webhook.entity_name,
        "type": webhook.type.value,
        "entityId": webhook.entity_id,
        "state": WebhookState.FAILED.value,
        "attemptCount": webhook.attempt_number,
        "lastResponseStatus": outcome.attempt.response_status,
        "lastError": outcome.attempt.error,
    }
    return _operational(webhook.organization_id, "Webhook", webhook.id, data, now)


def _operational(
    organization_id: str, entity_name: str, entity_id: str, data: object, now: datetime
) -> EventRecord:
    return EventRecord(
        organization_id=organization_id,
        idempotency_id=None,
        entity_name=entity_name,
        type=WebhookEventType.UPDATED,
        entity_id=entity_id,
        group_key=None,
        effective_group_key=group_key_of(entity_name, entity_id, None),
        occurred_at=now,
        payload=json.dumps(data, separators=(",", ":")),
        now=now,
    )
