"""Publishing domain events: validated, then group-committed with their Webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime

from hookline.domain.errors import ErrorCollector, InvalidInput, NotFound, PayloadTooLarge
from hookline.domain.grouping import group_key_of
from hookline.metrics import EVENTS_PUBLISHED, WEBHOOKS_CREATED, WEBHOOKS_SUPERSEDED
from hookline.service.base import UseCases
from hookline.service.drafts import EventDraft
from hookline.service.fanout import EventRecord, Published
from hookline.service.views import EventView
from hookline.store import events as events_store
from hookline.store import webhooks as webhooks_store
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
        for index, draft in enumerate(drafts):
            try:
                records.append(self._event_record(draft, now))
            except InvalidInput as error:
                for field_error in error.errors:
                    errors.add(f"events[{index}].{field_error.field}", field_error.message)
            except PayloadTooLarge as error:
                raise PayloadTooLarge(f"events[{index}]: {error.detail}") from None
        errors.raise_if_any()
        return list(await asyncio.gather(*(self._submit(record) for record in records)))

    async def get_event(self, event_id: str, organization_id: str | None) -> EventView:
        """One domain event and every Webhook it made."""
        async with self.db.read() as conn:
            event = await events_store.get_event(conn, event_id, organization_id)
            if event is None:
                raise NotFound(f"no event {event_id!r}")
            webhooks = await webhooks_store.webhooks_of_event(conn, event_id)
        return EventView(event, webhooks)

    def _event_record(self, draft: EventDraft, now: datetime) -> EventRecord:
        try:
            entity_name = self.catalog.publishable(draft.entity_name)
        except ValueError as error:
            raise InvalidInput.one("entityName", str(error)) from None
        payload = json.dumps(
            draft.data if draft.data is not None else {}, ensure_ascii=False, separators=(",", ":")
        )
        if len(payload.encode()) > self.max_event_data_bytes:
            raise PayloadTooLarge(f"event data is larger than {self.max_event_data_bytes} bytes")
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
            return Published(found[0], found[1], replayed=True)
        if not published.replayed:
            EVENTS_PUBLISHED.inc()
            created = len(published.webhook_ids) - published.superseded
            WEBHOOKS_CREATED.inc(created)
            WEBHOOKS_SUPERSEDED.inc(published.superseded)
        return published
