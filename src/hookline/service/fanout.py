"""Fan-out: record domain events with one Webhook per matching subscription, atomically.

Concurrent publishes are group-committed: each batch is ONE transaction holding every event
of the batch together with all of its Webhooks, so nothing is ever half-written, and N
concurrent publishers pay for one commit instead of N.

Matching: the store finds the entries naming the event's entity and type, or `*`; their data
filters are applied here (domain/subscriptions.py), and an event makes one Webhook per
registration however many of its entries take it (`matching`).

Pause: a paused registration's new Webhooks are written Pending (held); the publisher takes the
registration's pause lock and reads the pause again under it, so a concurrent resume either sees
and releases them or is seen. A Webhook written Created just as a pause began is held by the
worker that claims it.

Supersession: for a registration with `coalesce_updates`, an Updated event whose entity's
latest Webhook is an Updated one still waiting (Created, Retrying or Pending, not leased by a
worker) takes that Webhook over instead of adding one, so a recovering target receives the
latest state once; so does a ReplaceRelation over a waiting ReplaceRelation of the same
relation (it carries the complete new list). A stored Webhook taken over gets a new
`webhook-id` (one per payload); one written earlier in the same batch was never sent, so it
keeps its own. The entity's latest Webhook is the only candidate, so an update is never merged
across a Created, a Deleted or another kind of change.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.retry import RetryPolicy
from hookline.domain.subscriptions import matches
from hookline.ids import new_id
from hookline.store import events as events_store
from hookline.store import registrations as reg_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Connection, Database, Transaction
from hookline.store.events import Subscription
from hookline.store.group_commit import GroupCommit
from hookline.store.organizations import ensure_organization
from hookline.store.webhooks import SUPERSEDABLE


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
    traceparent: str | None = None
    """The trace context every attempt of this event's Webhooks continues."""
    content_digest: str | None = None
    """What the publisher sent under `idempotency_id`, to tell a resend from a reuse."""
    relation: str | None = None
    """`{name, ids, entityName?}` as JSON, for relation events (types 4..6)."""

    @property
    def coalescible(self) -> bool:
        """Whether this event replaces its entity's state: Updated, or ReplaceRelation (the
        complete new list of one relation). Add and Remove are changes, never merged."""
        return self.type in (WebhookEventType.UPDATED, WebhookEventType.REPLACE_RELATION)


@dataclass(frozen=True, slots=True)
class Published:
    event_id: str
    webhook_ids: list[str]
    """The Webhooks that carry this event: new ones, and waiting ones it superseded."""
    replayed: bool = False
    conflicting: bool = False
    """The id was recorded with other content: nothing was written, `event_id` is the first's."""
    superseded: int = 0
    """How many of `webhook_ids` already existed and now carry this event instead."""


@dataclass(slots=True)
class _Latest:
    """The newest Webhook of one (registration, entity) this batch has seen or written."""

    webhook_id: str
    type: WebhookEventType
    relation: str | None  # its event's, as JSON
    row: dict[str, object] | None  # not yet inserted: this batch's own row
    seq: int | None = None  # already in the database


@dataclass(slots=True)
class _Batch:
    """What one batch has written so far, so later events of the batch see earlier ones."""

    open_groups: set[tuple[str, str]] = field(default_factory=set)
    latest: dict[tuple[str, str], _Latest | None] = field(default_factory=dict)
    repointed: dict[int, str] = field(default_factory=dict)  # stored Webhook seq -> event id


class FanOut:
    def __init__(self, db: Database, *, attempt_limit: int) -> None:
        self._attempt_limit = attempt_limit
        """For registrations without a `retrySchedule` of their own."""
        self._commits: GroupCommit[EventRecord, Published] = GroupCommit(db, self.write)
        self._known_organizations: set[str] = set()

    async def publish(self, event: EventRecord) -> Published:
        published = await self._commits.submit(event)
        self._known_organizations.add(event.organization_id)
        return published

    async def write(self, conn: Transaction, batch: list[EventRecord]) -> list[Published]:
        """Events first, then Webhooks, each as one multi-row insert; in the caller's transaction."""
        results: list[Published] = []
        first_by_id: dict[tuple[str, str], tuple[Published, str | None]] = {}
        written = _Batch()
        event_rows: list[dict[str, object]] = []
        webhook_rows: list[dict[str, object]] = []
        subscriptions = await self._lock(conn, batch)
        for event, matched in zip(batch, subscriptions, strict=True):
            replay = await self._replay(conn, event, first_by_id)
            if replay is not None:
                results.append(replay)
                continue
            if event.organization_id not in self._known_organizations:
                await ensure_organization(conn, event.organization_id, event.now)
            event_id = new_id("evt")
            event_rows.append(_event_row(event_id, event))
            ids = []
            superseded = 0
            for subscription in matched:
                taken_over = await self._supersede(conn, event_id, event, subscription, written)
                if taken_over is not None:
                    ids.append(taken_over)
                    superseded += 1
                    continue
                state = await self._initial_state(
                    conn, subscription, event.effective_group_key, written.open_groups
                )
                row = self._webhook_row(event_id, event, subscription, state)
                webhook_rows.append(row)
                ids.append(str(row["id"]))
                if subscription.coalesce_updates:
                    written.latest[(subscription.registration_id, _entity_key(event))] = _Latest(
                        str(row["id"]), event.type, event.relation, row
                    )
            published = Published(event_id, ids, superseded=superseded)
            if event.idempotency_id is not None:
                first_by_id[(event.organization_id, event.idempotency_id)] = (published, event.content_digest)
            results.append(published)
        await events_store.insert_events(conn, event_rows)
        await events_store.insert_webhooks(conn, webhook_rows)
        for seq, event_id in written.repointed.items():
            await webhooks_store.repoint(conn, seq, event_id, new_id("msg"), batch[0].now)
        if webhook_rows:
            await conn.wake_workers()
        return results

    @staticmethod
    async def _supersede(
        conn: Connection, event_id: str, event: EventRecord, subscription: Subscription, written: _Batch
    ) -> str | None:
        """The id of the waiting Webhook this event takes over, or None to add a Webhook: the
        entity's latest, if it is of the same state-replacing kind (Updated, or ReplaceRelation
        of the same relation)."""
        if not subscription.coalesce_updates or not event.coalescible:
            return None
        key = (subscription.registration_id, _entity_key(event))
        if key not in written.latest:
            found = await webhooks_store.latest_of_entity(conn, *key)
            written.latest[key] = (
                _Latest(found.webhook_id, found.type, found.relation, None, found.seq)
                if found is not None and found.state in SUPERSEDABLE and not found.leased
                else None
            )
        latest = written.latest[key]
        if latest is None or latest.type is not event.type:
            return None
        if _relation_name(latest.relation) != _relation_name(event.relation):
            return None
        if latest.row is not None:
            latest.row["domain_event_id"] = event_id
        elif latest.seq is not None:
            written.repointed[latest.seq] = event_id
        return latest.webhook_id

    @staticmethod
    async def _lock(conn: Connection, batch: list[EventRecord]) -> list[list[Subscription]]:
        """Each event's subscriptions (`matching`), then every lock the batch needs (its groups,
        and the entities it may supersede) taken at once, in the one global order workers use
        too: taken one by one in event order, they could deadlock."""
        found: dict[tuple[str, str, WebhookEventType], list[Subscription]] = {}
        matched: list[list[Subscription]] = []
        locks: set[str] = set()
        paused: set[str] = set()
        for event in batch:
            key = (event.organization_id, event.entity_name, event.type)
            if key not in found:
                found[key] = await events_store.matching_subscriptions(conn, *key, event.now)
            matched.append(matching(found[key], event.payload))
            for s in matched[-1]:
                if s.should_group:
                    locks.add(webhooks_store.group_lock(s.registration_id, event.effective_group_key))
                if s.coalesce_updates and event.coalescible:
                    locks.add(webhooks_store.supersession_lock(s.registration_id, _entity_key(event)))
                if s.is_paused:
                    paused.add(s.registration_id)
                    locks.add(webhooks_store.pause_lock(s.registration_id))
        await webhooks_store.take_locks(conn, locks)
        if paused:  # under the pause locks: a resume may have committed since the look-up
            still = await reg_store.paused_among(conn, paused)
            matched = [[replace(s, is_paused=s.registration_id in still) for s in m] for m in matched]
        return matched

    @staticmethod
    async def _replay(
        conn: Connection,
        event: EventRecord,
        first_by_id: dict[tuple[str, str], tuple[Published, str | None]],
    ) -> Published | None:
        """The first result for a repeated event id, from this batch or from the database; a
        conflict if the first had other content (the caller refuses it, the batch goes on)."""
        if event.idempotency_id is None:
            return None
        earlier = first_by_id.get((event.organization_id, event.idempotency_id))
        if earlier is not None:
            first, digest = earlier
            return replayed(first.event_id, first.webhook_ids, digest, event.content_digest)
        found = await events_store.find_by_idempotency_id(conn, event.organization_id, event.idempotency_id)
        return replayed(*found, event.content_digest) if found else None

    @staticmethod
    async def _initial_state(
        conn: Connection, subscription: Subscription, group_key: str, open_groups: set[tuple[str, str]]
    ) -> WebhookState:
        """Pending when its registration is paused, or grouped behind an unfinished Webhook, in
        the database or in this batch."""
        if not subscription.should_group:
            return WebhookState.PENDING if subscription.is_paused else WebhookState.CREATED
        group = (subscription.registration_id, group_key)
        blocked = group in open_groups
        if not blocked:
            blocked = await webhooks_store.group_is_blocked(
                conn, *group, continue_after_fail=subscription.continue_after_fail
            )
        open_groups.add(group)
        return WebhookState.PENDING if blocked or subscription.is_paused else WebhookState.CREATED

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
            "attempt_limit": self._attempt_limit
            if subscription.retry_schedule is None
            else _attempts_allowed(subscription.retry_schedule),
            "next_attempt_at": event.now if state is WebhookState.CREATED else None,
            "supersession_key": _entity_key(event) if subscription.coalesce_updates else None,
            "created_at": event.now,
            "updated_at": event.now,
        }


def matching(candidates: list[Subscription], data_json: str) -> list[Subscription]:
    """The entries whose filter `data` passes, one per registration: an event makes at most
    one Webhook per registration however many of its entries take it, and refers to the most
    specific of them."""
    data = json.loads(data_json) if any(s.filter is not None for s in candidates) else None
    chosen: dict[str, Subscription] = {}
    for s in candidates:
        if not matches(s.filter, data):
            continue
        earlier = chosen.get(s.registration_id)
        if earlier is None or s.specificity > earlier.specificity:
            chosen[s.registration_id] = s
    return list(chosen.values())


@functools.lru_cache(maxsize=256)
def _attempts_allowed(schedule: str) -> int:
    return RetryPolicy.parse(schedule).max_attempts


def replayed(event_id: str, webhook_ids: list[str], first: str | None, again: str | None) -> Published:
    """The answer to a repeated event id: the first result, or a conflict if the content differs
    (events recorded before digests were kept have none and replay as before)."""
    conflicting = first is not None and again is not None and first != again
    return Published(event_id, [] if conflicting else webhook_ids, replayed=True, conflicting=conflicting)


def _relation_name(relation_json: str | None) -> str | None:
    if relation_json is None:
        return None
    name = json.loads(relation_json).get("name")
    return name if isinstance(name, str) else None


def _entity_key(event: EventRecord) -> str:
    return f"{event.entity_name}:{event.entity_id}"


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
        "relation": event.relation,
        "content_digest": event.content_digest,
        "created_at": event.now,
        "traceparent": event.traceparent,
    }
