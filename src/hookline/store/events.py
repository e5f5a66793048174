"""Domain events and the Webhooks they fan out to, written in the caller's one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.store.registrations import live_registration_clause
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


async def insert_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(domain_events.insert(), rows)


async def matching_subscriptions(
    conn: AsyncConnection, organization_id: str, entity_name: str, type_: WebhookEventType, now: datetime
) -> list[Subscription]:
    """Uses ix_webhook_events_match, then the registrations by primary key."""
    e, r = webhook_events, webhook_registrations
    rows = await conn.execute(
        select(
            e.c.id,
            e.c.registration_id,
            r.c.should_group,
            r.c.should_group_continue_after_fail,
            r.c.coalesce_updates,
            r.c.paused_at.is_not(None),
            r.c.retry_schedule,
        )
        .join(r, r.c.id == e.c.registration_id)
        .where(
            e.c.organization_id == organization_id,
            e.c.entity_name == entity_name,
            e.c.type == type_.value,
            e.c.enabled.is_(True),
            live_registration_clause(now),
        )
        .order_by(r.c.created_at, r.c.id)
    )
    return [Subscription(*row) for row in rows]


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
