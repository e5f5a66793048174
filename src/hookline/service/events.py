"""Publishing domain events: validated, then group-committed with their Webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime

from hookline.domain.enums import WebhookEventType
from hookline.domain.errors import Conflict, ErrorCollector, InvalidInput, PayloadTooLarge
from hookline.domain.fingerprint import event_fingerprint
from hookline.domain.grouping import group_key_of
from hookline.metrics import EVENTS_PUBLISHED, WEBHOOKS_CREATED, WEBHOOKS_SUPERSEDED
from hookline.service.base import UseCases
from hookline.service.drafts import EventDraft
from hookline.service.fanout import EventRecord, Published, replayed
from hookline.store import events as events_store
from hookline.store.errors import DuplicateEventId


class EventUseCases(UseCases):
    """An event is recorded with all its Webhooks, or not at all."""

    async def publish(self, draft: EventDraft) -> Published:
        """Record the event and one Webhook per matching subscription in ONE transaction."""
        return await self._submit(self._event_record(draft, self.clock.now()))

    async def publish_many(self, drafts: Sequence[EventDraft]) -> list[Published]:
        """Publish a batch, checked as a whole first: one invalid event refuses them all.

        The events share group-committed transactions; each is still all-or-nothing with its
        Webhooks. Answers in the order given.
        """
        now = self.clock.now()
        records: list[EventRecord] = []
        errors = ErrorCollector()
        first_with_id: dict[str, tuple[int, str | None]] = {}
        for index, draft in enumerate(drafts):
            try:
                record = self._event_record(draft, now)
            except InvalidInput as error:
                for field_error in error.errors:
                    errors.add(f"events[{index}].{field_error.field}", field_error.message)
                continue
            except PayloadTooLarge as error:
                raise PayloadTooLarge(f"events[{index}]: {error.detail}") from None
            records.append(record)
            if record.idempotency_id is not None:
                first, digest = first_with_id.setdefault(
                    record.idempotency_id, (index, record.content_digest)
                )
                if digest != record.content_digest:
                    errors.add(
                        f"events[{index}].id",
                        f"events[{first}] and events[{index}] carry the id {record.idempotency_id!r} with "
                        "different content; one id is one event",
                    )
        errors.raise_if_any()
        outcomes = await asyncio.gather(*(self._submit(record) for record in records), return_exceptions=True)
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, Conflict):
                raise Conflict(f"events[{index}]: {outcome.detail}", **outcome.extra)
            if isinstance(outcome, BaseException):
                raise outcome
        return [outcome for outcome in outcomes if isinstance(outcome, Published)]

    def _event_record(self, draft: EventDraft, now: datetime) -> EventRecord:
        errors = ErrorCollector()
        entity_name = ""
        try:
            entity_name = self.catalog.publishable(draft.entity_name)
        except ValueError as error:
            errors.add("entityName", str(error))
        relation = _checked_relation(draft, errors)
        errors.raise_if_any()
        payload = json.dumps(
            draft.data if draft.data is not None else {}, ensure_ascii=False, separators=(",", ":")
        )
        if len(payload.encode()) > self.max_event_data_bytes:
            raise PayloadTooLarge(f"event data is larger than {self.max_event_data_bytes} bytes")
        digest = None
        if draft.idempotency_id is not None:
            occurred_at = None if draft.occurred_at is None else draft.occurred_at.isoformat()
            digest = event_fingerprint(
                entity_name, draft.type, draft.entity_id, draft.group_key, occurred_at, draft.data, relation
            )
        return EventRecord(
            organization_id=draft.organization_id,
            idempotency_id=draft.idempotency_id,
            entity_name=entity_name,
            type=draft.type,
            entity_id=draft.entity_id,
            group_key=draft.group_key,
            effective_group_key=group_key_of(entity_name, draft.entity_id, draft.group_key),
            occurred_at=draft.occurred_at or now,
            payload=payload,
            now=now,
            content_digest=digest,
            relation=None
            if relation is None
            else json.dumps(relation, ensure_ascii=False, separators=(",", ":")),
        )

    async def _submit(self, record: EventRecord) -> Published:
        try:
            published = await self._fanout.publish(record)
        except DuplicateEventId:  # a concurrent request with the same idempotency id won
            assert record.idempotency_id is not None
            async with self.db.read() as conn:
                found = await events_store.find_by_idempotency_id(
                    conn, record.organization_id, record.idempotency_id
                )
            if found is None:
                raise
            published = replayed(*found, record.content_digest)
        if published.conflicting:
            raise Conflict(
                f"an event with the id {record.idempotency_id!r} was published with different "
                "content; use a new id for a new event",
                existingEventId=published.event_id,
            )
        if not published.replayed:
            EVENTS_PUBLISHED.inc()
            created = len(published.webhook_ids) - published.superseded
            WEBHOOKS_CREATED.inc(created)
            WEBHOOKS_SUPERSEDED.inc(published.superseded)
        return published


RELATION_TYPES = frozenset(
    {
        WebhookEventType.REPLACE_RELATION,
        WebhookEventType.ADD_TO_RELATION,
        WebhookEventType.REMOVE_FROM_RELATION,
    }
)


def _checked_relation(draft: EventDraft, errors: ErrorCollector) -> dict[str, object] | None:
    """The `relation` as delivered: required on relation events (types 4..6), refused on others;
    Add and Remove must name the ids they add or remove (a Replace may empty the list)."""
    relation = draft.relation
    if draft.type not in RELATION_TYPES:
        if relation is not None:
            errors.add("relation", f"is only for relation events (4..6), not {draft.type.label}")
        return None
    if relation is None:
        errors.add("relation", f"is required for {draft.type.label}: {{name, ids, entityName?}}")
        return None
    if draft.type is not WebhookEventType.REPLACE_RELATION and not relation.ids:
        errors.add("relation.ids", f"must name at least one id for {draft.type.label}")
    delivered: dict[str, object] = {"name": relation.name, "ids": list(relation.ids)}
    if relation.entity_name is not None:
        delivered["entityName"] = relation.entity_name
    return delivered
