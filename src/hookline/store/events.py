"""Domain events and the Webhooks they fan out to, written in the caller's one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.records import DomainEvent
from hookline.domain.subscriptions import EVERY_TYPE_ID, EventSelection
from hookline.store.registrations import entity_names_selecting, live_registration_clause, type_ids_selecting
from hookline.store.sql import unreferenced_before
from hookline.store.tables import domain_events, webhook_events, webhook_registrations, webhooks


@dataclass(frozen=True, slots=True)
class Subscription:
    """One enabled WebhookEvent of a live registration that matches a domain event."""

    webhook_event_id: str
    registration_id: str
    should_group: bool
    continue_after_fail: bool
    coalesce_updates: bool
    is_paused: bool
    """Its Webhooks wait in Pending until the registration is resumed."""
    retry_schedule: str | None
    """Its own retry delays as stored (`10s,1m`, empty: none); None: the service's."""
    filter: str | None = None
    """The entry's data filter as canonical JSON, applied by the caller; None: none."""
    specificity: int = 0
    """Ranks the entries of one registration that match an event (domain/subscriptions.py)."""


async def find_by_idempotency_id(
    conn: AsyncConnection, organization_id: str, idempotency_id: str
) -> tuple[str, list[str], str | None] | None:
    """The event id, Webhook ids and content digest first recorded for this client-supplied id."""
    found = (
        await conn.execute(
            select(domain_events.c.id, domain_events.c.content_digest).where(
                domain_events.c.organization_id == organization_id,
                domain_events.c.idempotency_id == idempotency_id,
            )
        )
    ).first()
    if found is None:
        return None
    event_id = found.id
    ids = (
        await conn.execute(
            select(webhooks.c.id).where(webhooks.c.domain_event_id == event_id).order_by(webhooks.c.seq)
        )
    ).scalars()
    return event_id, list(ids), found.content_digest


async def get_event(conn: AsyncConnection, event_id: str, organization_id: str | None) -> DomainEvent | None:
    """The event, if it belongs to `organization_id` (None: any organization)."""
    e = domain_events
    query = select(e).where(e.c.id == event_id)
    if organization_id is not None:
        query = query.where(e.c.organization_id == organization_id)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return DomainEvent(
        id=row.id,
        organization_id=row.organization_id,
        idempotency_id=row.idempotency_id,
        entity_name=row.entity_name,
        type=WebhookEventType(row.type),
        entity_id=row.entity_id,
        group_key=row.group_key,
        occurred_at=row.occurred_at,
        created_at=row.created_at,
        data_json=row.payload,
        relation_json=row.relation,
    )


async def insert_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(domain_events.insert(), rows)


async def matching_subscriptions(
    conn: AsyncConnection, organization_id: str, entity_name: str, type_: WebhookEventType, now: datetime
) -> list[Subscription]:
    """The entries naming this entity and type, or `*` for either, of live registrations; the
    caller applies their filters. Uses ix_webhook_events_match (a few index ranges), then the
    registrations by primary key."""
    e, r = webhook_events, webhook_registrations
    rows = await conn.execute(
        select(
            e.c.id,
            e.c.registration_id,
            r.c.should_group,
            r.c.should_group_continue_after_fail,
            r.c.coalesce_updates,
            r.c.paused_at.is_not(None).label("paused"),
            r.c.retry_schedule,
            e.c.filter,
            e.c.entity_name,
            e.c.type,
        )
        .join(r, r.c.id == e.c.registration_id)
        .where(
            e.c.organization_id == organization_id,
            e.c.entity_name.in_(entity_names_selecting(entity_name)),
            e.c.type.in_(type_ids_selecting(type_)),
            e.c.enabled.is_(True),
            live_registration_clause(now),
        )
        .order_by(r.c.created_at, r.c.id)
    )
    found = []
    for row in rows:
        entry = EventSelection(row.entity_name, None if row.type == EVERY_TYPE_ID else type_, row.filter)
        found.append(
            Subscription(
                webhook_event_id=row.id,
                registration_id=row.registration_id,
                should_group=row.should_group,
                continue_after_fail=row.should_group_continue_after_fail,
                coalesce_updates=row.coalesce_updates,
                is_paused=row.paused,
                retry_schedule=row.retry_schedule,
                filter=row.filter,
                specificity=entry.specificity,
            )
        )
    return found


async def coverage_since(
    conn: AsyncConnection, organization_id: str | None, since: datetime
) -> dict[tuple[str, int], tuple[int, int]]:
    """(entity, type) → (events published, Webhooks Successful) since `since`.

    Events use ix_domain_events_org_created; Webhooks ix_webhooks_org_state.
    """
    e, w = domain_events, webhooks
    published = select(e.c.entity_name, e.c.type, func.count()).where(e.c.created_at >= since)
    succeeded = (
        select(e.c.entity_name, e.c.type, func.count())
        .select_from(w.join(e, e.c.id == w.c.domain_event_id))
        .where(w.c.state == WebhookState.SUCCESSFUL.value, w.c.updated_at >= since)
    )
    if organization_id is not None:
        published = published.where(e.c.organization_id == organization_id)
        succeeded = succeeded.where(w.c.organization_id == organization_id)
    counts: dict[tuple[str, int], list[int]] = {}
    for column, query in enumerate((published, succeeded)):
        for name, kind, count in await conn.execute(query.group_by(e.c.entity_name, e.c.type)):
            counts.setdefault((name, kind), [0, 0])[column] = int(count)
    return {key: (pair[0], pair[1]) for key, pair in counts.items()}


async def insert_webhooks(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(webhooks.insert(), rows)


async def purge_orphaned_events(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete up to `limit` events recorded before `before` that no Webhook refers to any more
    (ix_domain_events_created; the webhooks' unique key starts with domain_event_id)."""
    e = domain_events
    ids = await unreferenced_before(conn, e.c.created_at, before, webhooks.c.domain_event_id, limit)
    if ids:
        await conn.execute(delete(e).where(e.c.id.in_(ids)))
    return len(ids)
