"""Publishing domain events: validated, then group-committed with their Webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from opentelemetry.trace import SpanKind

from hookline.domain.errors import ErrorCollector, InvalidInput, PayloadTooLarge
from hookline.domain.grouping import group_key_of
from hookline.metrics import EVENTS_PUBLISHED, WEBHOOKS_CREATED, WEBHOOKS_SUPERSEDED
from hookline.service.base import UseCases
from hookline.service.drafts import EventDraft
from hookline.service.fanout import EventRecord, Published
from hookline.store import events as events_store
from hookline.store.errors import DuplicateEventId


class EventUseCases(UseCases):
    """An event is recorded with all its Webhooks, or not at all."""

    async def publish(self, draft: EventDraft) -> Published:
        """Record the event and one Webhook per matching subscription in ONE transaction."""
        with self.tracing.span(
            "hookline.publish",
            parent=draft.traceparent,
            kind=SpanKind.SERVER,
            attributes={"hookline.organization.id": draft.organization_id, "hookline.events": 1},
        ):
            return await self._submit(self._event_record(draft, self.clock.now()))

    async def publish_many(self, drafts: Sequence[EventDraft]) -> list[Published]:
        """Publish a batch, checked as a whole first: one invalid event refuses them all.

        The events share group-committed transactions; each is still all-or-nothing with its
        Webhooks. Answers in the order given.
        """
        parent = drafts[0].traceparent if drafts else None
        with self.tracing.span(
            "hookline.publish",
            parent=parent,
            kind=SpanKind.SERVER,
            attributes={"hookline.events": len(drafts)},
        ):
            return await self._publish_many(drafts)

    async def _publish_many(self, drafts: Sequence[EventDraft]) -> list[Published]:
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
            traceparent=draft.traceparent,
        )

    async def _submit(self, record: EventRecord) -> Published:
        with self.tracing.span("hookline.fan_out") as span:
            # Continue from this span (or, untraced, from the publisher's own context).
            published = await self._fan_out(
                replace(record, traceparent=self.tracing.traceparent(record.traceparent))
            )
            if span.is_recording():
                span.set_attributes(
                    {
                        "hookline.organization.id": record.organization_id,
                        "hookline.event.id": published.event_id,
                        "hookline.event.entity_name": record.entity_name,
                        "hookline.event.type": record.type.label,
                        "hookline.event.replayed": published.replayed,
                        "hookline.webhooks": len(published.webhook_ids),
                    }
                )
            return published

    async def _fan_out(self, record: EventRecord) -> Published:
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
