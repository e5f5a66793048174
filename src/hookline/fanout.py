"""Fan-out: record domain events with one Webhook per matching subscription, atomically.

Concurrent publishes are group-committed: each batch is ONE transaction holding every event
of the batch together with all of its Webhooks, so nothing is ever half-written, and N
concurrent publishers pay for one commit instead of N.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.delivery.wakeup import notify_due
from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.ids import new_id
from hookline.store import events as events_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Database
from hookline.store.events import Subscription
from hookline.store.group_commit import GroupCommit
from hookline.store.organizations import ensure_organization


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A validated domain event, ready to be written."""

    organization_id: str
    idempotency_id: str | None
    entity_name: str
    type: WebhookEventType
    entity_id: str
    group_key: str | None
    effective_group_key: str
    occurred_at: datetime
    payload: str
    now: datetime


@dataclass(frozen=True, slots=True)
class Published:
    event_id: str
    webhook_ids: list[str]
    replayed: bool = False


class FanOut:
    def __init__(self, db: Database, *, attempt_limit: int) -> None:
        self._attempt_limit = attempt_limit
        self._commits: GroupCommit[EventRecord, Published] = GroupCommit(db, self._write_batch)
        self._known_organizations: set[str] = set()

    async def publish(self, event: EventRecord) -> Published:
        published = await self._commits.submit(event)
        self._known_organizations.add(event.organization_id)
        return published

    async def _write_batch(self, conn: AsyncConnection, batch: list[EventRecord]) -> list[Published]:
        """Events first, then Webhooks, each as one multi-row insert; in the caller's transaction."""
        results: list[Published] = []
        first_by_id: dict[tuple[str, str], Published] = {}
        subscriptions: dict[tuple[str, str, WebhookEventType], list[Subscription]] = {}
        open_groups: set[tuple[str, str]] = set()  # groups given a Webhook earlier in this batch
        event_rows: list[dict[str, object]] = []
        webhook_rows: list[dict[str, object]] = []
        await self._lock_groups(conn, batch, subscriptions)
        for event in batch:
            replay = await self._replay(conn, event, first_by_id)
            if replay is not None:
                results.append(replay)
                continue
            if event.organization_id not in self._known_organizations:
                await ensure_organization(conn, event.organization_id, event.now)
            event_id = new_id("evt")
            event_rows.append(_event_row(event_id, event))
            key = (event.organization_id, event.entity_name, event.type)
            ids = []
            for subscription in subscriptions[key]:
                state = await self._initial_state(conn, subscription, event.effective_group_key, open_groups)
                row = self._webhook_row(event_id, event, subscription, state)
                webhook_rows.append(row)
                ids.append(str(row["id"]))
            published = Published(event_id, ids)
            if event.idempotency_id is not None:
                first_by_id[(event.organization_id, event.idempotency_id)] = published
            results.append(published)
        await events_store.insert_events(conn, event_rows)
        await events_store.insert_webhooks(conn, webhook_rows)
        if webhook_rows:
            await notify_due(conn)
        return results

    @staticmethod
    async def _lock_groups(
        conn: AsyncConnection,
        batch: list[EventRecord],
        subscriptions: dict[tuple[str, str, WebhookEventType], list[Subscription]],
    ) -> None:
        """Look up every event's subscriptions into `subscriptions`, then lock every group the
        batch publishes into, all at once in the one global order (as workers releasing groups
        do): taken one by one in event order, they could deadlock with a worker."""
        groups: set[tuple[str, str]] = set()
        for event in batch:
            key = (event.organization_id, event.entity_name, event.type)
            if key not in subscriptions:
                subscriptions[key] = await events_store.matching_subscriptions(conn, *key, event.now)
            groups |= {
                (s.registration_id, event.effective_group_key) for s in subscriptions[key] if s.should_group
            }
        await webhooks_store.lock_groups(conn, groups)

    @staticmethod
    async def _replay(
        conn: AsyncConnection, event: EventRecord, first_by_id: dict[tuple[str, str], Published]
    ) -> Published | None:
        """The first result for a repeated event id, from this batch or from the database."""
        if event.idempotency_id is None:
            return None
        earlier = first_by_id.get((event.organization_id, event.idempotency_id))
        if earlier is not None:
            return Published(earlier.event_id, earlier.webhook_ids, replayed=True)
        found = await events_store.find_by_idempotency_id(conn, event.organization_id, event.idempotency_id)
        return Published(found[0], found[1], replayed=True) if found else None

    @staticmethod
    async def _initial_state(
        conn: AsyncConnection, subscription: Subscription, group_key: str, open_groups: set[tuple[str, str]]
    ) -> WebhookState:
        """Pending when grouped behind an unfinished Webhook, in the database or in this batch."""
        if not subscription.should_group:
            return WebhookState.CREATED
        group = (subscription.registration_id, group_key)
        blocked = group in open_groups
        if not blocked:
            await webhooks_store.lock_group(conn, *group)
            blocked = await webhooks_store.group_is_blocked(
                conn, *group, continue_after_fail=subscription.continue_after_fail
            )
        open_groups.add(group)
        return WebhookState.PENDING if blocked else WebhookState.CREATED

    def _webhook_row(
        self, event_id: str, event: EventRecord, subscription: Subscription, state: WebhookState
    ) -> dict[str, object]:
        return {
            "id": new_id("wh"),
            "organization_id": event.organization_id,
            "registration_id": subscription.registration_id,
            "webhook_event_id": subscription.webhook_event_id,
            "domain_event_id": event_id,
            "group_key": event.effective_group_key,
            "state": state.value,
            "attempt_count": 0,
            "attempt_limit": self._attempt_limit,
            "next_attempt_at": event.now if state is WebhookState.CREATED else None,
            "created_at": event.now,
            "updated_at": event.now,
        }


def _event_row(event_id: str, event: EventRecord) -> dict[str, object]:
    return {
        "id": event_id,
        "organization_id": event.organization_id,
        "idempotency_id": event.idempotency_id,
        "entity_name": event.entity_name,
        "type": event.type.value,
        "entity_id": event.entity_id,
        "group_key": event.group_key,
        "occurred_at": event.occurred_at,
        "payload": event.payload,
        "created_at": event.now,
    }
