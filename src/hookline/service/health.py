"""Registration health: failing streaks, pause, resume, deactivation, and the operational
events announcing them.

Shared by the worker (after each batch of attempts), the maintenance job and the registration
use cases. Everything runs in the caller's transaction, so a pause or deactivation, what it does
to the Webhooks and the event that announces it commit together or not at all. Operational events
(entities `WebhookRegistration` and `Webhook`) fan out like any domain event, so an organization
can point another endpoint at them.

A pause loses nothing: matching events still make Webhooks, held in Pending; a resume releases
them oldest first at `resume_rate_per_s` (a grouped registration: the oldest of each group at
that rate, the rest in order as their predecessors end).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from hookline.domain.catalog import OPERATIONAL_ENTITIES
from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.grouping import group_key_of
from hookline.domain.outcome import AttemptOutcome
from hookline.domain.records import Registration
from hookline.service.fanout import EventRecord, FanOut
from hookline.store import registrations as reg_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Connection, Transaction

log = logging.getLogger(__name__)

GONE_REASON = "target answered 410 Gone"


DEFAULT_RESUME_RATE_PER_S = 20.0


class Health:
    def __init__(self, fanout: FanOut, *, resume_rate_per_s: float = DEFAULT_RESUME_RATE_PER_S) -> None:
        self._fanout = fanout
        self._resume_spacing = timedelta(seconds=1) / resume_rate_per_s

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
        aborted = await webhooks_store.abort_unfinished(conn, registration_id, now)
        await self._announce(
            conn, registration_id, changed, "deactivated", reason, now, abortedWebhooks=aborted
        )
        return True

    async def pause(self, conn: Transaction, registration_id: str, reason: str, now: datetime) -> bool:
        """Pause an active registration: its due Webhooks wait in Pending, and so will new ones.

        False if it was inactive or paused already: nothing changes.
        """
        changed = await reg_store.pause_registration(conn, registration_id, reason, now)
        if changed is None:
            return False
        held = await webhooks_store.hold_due(conn, registration_id, now)
        await self._announce(conn, registration_id, changed, "paused", reason, now, heldWebhooks=held)
        return True

    async def resume(self, conn: Transaction, registration: Registration, now: datetime) -> int | None:
        """End the pause of `registration` (as read in this transaction) and release what it held,
        spread in time; answers how many Webhooks became due, None if it was not paused.

        Takes the registration's pause lock first, so a publisher that saw it paused has either
        written its Pending Webhooks (released here) or sees it resumed.
        """
        await webhooks_store.take_locks(conn, [webhooks_store.pause_lock(registration.id)])
        changed = await reg_store.resume_registration(conn, registration.id, now)
        if changed is None:
            return None
        held = await webhooks_store.releasable_held(
            conn,
            registration.id,
            grouped=registration.should_group,
            continue_after_fail=registration.should_group_continue_after_fail,
        )
        due = [
            (seq, attempts, now + position * self._resume_spacing)
            for position, (seq, attempts) in enumerate(held)
        ]
        await webhooks_store.release_held(conn, due, now)
        if due:
            await conn.wake_workers()
        await self._announce(conn, registration.id, changed, "resumed", None, now, releasedWebhooks=len(due))
        return len(due)

    async def warn_certificate_expiry(
        self, conn: Transaction, registration_id: str, warning: str, now: datetime
    ) -> bool:
        """Announce, once per certificate, that its client certificate expires soon (a
        `WebhookRegistration` Updated event with change `clientCertificateExpiring`, and a
        warning in the log); False if another process did it first."""
        changed = await reg_store.mark_certificate_warned(conn, registration_id, now)
        if changed is None:
            return False
        organization_id, target_url, certificate = changed
        log.warning(
            "registration %s: %s (%s)",
            registration_id,
            warning,
            certificate.subject,
            extra={"registration_id": registration_id, "organization_id": organization_id},
        )
        data = {
            "registrationId": registration_id,
            "targetUrl": target_url,
            "change": "clientCertificateExpiring",
            "warning": warning,
            "clientCertificate": {
                "subject": certificate.subject,
                "notAfter": certificate.not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
        await self._fanout.write(
            conn, [_operational(organization_id, "WebhookRegistration", registration_id, data, now)]
        )
        return True

    async def _announce(
        self,
        conn: Transaction,
        registration_id: str,
        changed: tuple[str, str],
        change: str,
        reason: str | None,
        now: datetime,
        **counts: int,
    ) -> None:
        """A `WebhookRegistration` Updated event saying what changed: paused, resumed, deactivated."""
        organization_id, target_url = changed
        data = {
            "registrationId": registration_id,
            "targetUrl": target_url,
            "change": change,
            "isActive": change != "deactivated",
            "isPaused": change == "paused",
            "disabledReason": reason,
            "abortedWebhooks": 0,
        } | counts
        await self._fanout.write(
            conn, [_operational(organization_id, "WebhookRegistration", registration_id, data, now)]
        )


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
