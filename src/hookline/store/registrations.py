"""Webhook registrations with their enabled events and target authorization."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.catalog import OPERATIONAL_ENTITIES
from hookline.domain.credentials import CertificateSummary, OAuth2Client
from hookline.domain.enums import AuthorizationType, SignatureScheme, WebhookEventType
from hookline.domain.records import EnabledEvent, Page, Registration
from hookline.domain.subscriptions import EVERY, EVERY_TYPE_ID, EventSelection
from hookline.ids import new_id
from hookline.store.sql import count_of, unreferenced_before
from hookline.store.tables import (
    registration_throttles,
    webhook_events,
    webhook_registrations,
    webhook_target_authorizations,
    webhooks,
)

r = webhook_registrations
a = webhook_target_authorizations


@dataclass(frozen=True, slots=True)
class RegistrationFilter:
    organization_id: str | None = None
    normalized_target_url: str | None = None
    entity_name: str | None = None
    type: WebhookEventType | None = None
    is_active: bool | None = None
    text: str | None = None
    """A case-insensitive substring of the target URL or the description."""


@dataclass(frozen=True, slots=True)
class Authorization:
    authorization_type: AuthorizationType
    username: str | None
    encrypted_secret: bytes | None
    """The Basic password, the Bearer token or the OAuth2 client secret, encrypted."""
    oauth2: OAuth2Client | None = None
    """OAuth2 only; its `client_id` is `username`."""


AUTHORIZATION_COLUMNS = (a.c.authorization_type, a.c.username, a.c.token_url, a.c.scope, a.c.audience)
"""What a registration's answer and its claimed Webhooks read of its authorization."""


def oauth2_of(row: Any) -> OAuth2Client | None:
    """The OAuth2 client of a row carrying AUTHORIZATION_COLUMNS (None unless type 3)."""
    if row.authorization_type != AuthorizationType.OAUTH2 or row.token_url is None:
        return None
    return OAuth2Client(row.token_url, row.username or "", row.scope, row.audience)


def _certificate_of(row: Any) -> CertificateSummary | None:
    if row.client_certificate_not_after is None:
        return None
    return CertificateSummary(row.client_certificate_subject or "", row.client_certificate_not_after)


def _base_query() -> Select[Any]:
    return (
        select(r, *AUTHORIZATION_COLUMNS)
        .outerjoin(a, a.c.registration_id == r.c.id)
        .where(r.c.deleted_at.is_(None))
    )


async def _events_of(conn: AsyncConnection, ids: list[str]) -> dict[str, list[EnabledEvent]]:
    found: dict[str, list[EnabledEvent]] = defaultdict(list)
    if not ids:
        return found
    rows = await conn.execute(
        select(webhook_events)
        .where(webhook_events.c.registration_id.in_(ids), webhook_events.c.enabled.is_(True))
        .order_by(webhook_events.c.entity_name, webhook_events.c.type)
    )
    for row in rows:
        kind = None if row.type == EVERY_TYPE_ID else WebhookEventType(row.type)
        found[row.registration_id].append(EnabledEvent(row.id, row.entity_name, kind, row.filter))
    return found


async def _records(conn: AsyncConnection, rows: list[Any]) -> list[Registration]:
    events = await _events_of(conn, [row.id for row in rows])
    return [
        Registration(
            id=row.id,
            organization_id=row.organization_id,
            target_url=row.target_url,
            normalized_target_url=row.normalized_target_url,
            description=row.description,
            enabled_events=tuple(events[row.id]),
            should_group=row.should_group,
            should_group_continue_after_fail=row.should_group_continue_after_fail,
            coalesce_updates=row.coalesce_updates,
            authorization_type=AuthorizationType(row.authorization_type or 0),
            username=row.username,
            is_active=row.is_active,
            disabled_reason=row.disabled_reason,
            expires_at=row.expires_at,
            failing_since=row.failing_since,
            paused_at=row.paused_at,
            retry_schedule=schedule_items(row.retry_schedule),
            created_at=row.created_at,
            updated_at=row.updated_at,
            custom_header_names=tuple(json.loads(row.custom_header_names or "[]")),
            max_requests_per_second=row.max_requests_per_second,
            oauth2=oauth2_of(row),
            client_certificate=_certificate_of(row),
            signature_scheme=SignatureScheme(row.signature_scheme),
            signing_public_key=row.signing_public_key,
        )
        for row in rows
    ]


async def get_registration(
    conn: AsyncConnection, registration_id: str, organization_id: str | None
) -> Registration | None:
    """The live registration, if it belongs to `organization_id` (None: any organization)."""
    query = _base_query().where(r.c.id == registration_id)
    if organization_id is not None:
        query = query.where(r.c.organization_id == organization_id)
    row = (await conn.execute(query)).first()
    return (await _records(conn, [row]))[0] if row else None


async def find_by_idempotency_key(
    conn: AsyncConnection, organization_id: str, idempotency_key: str
) -> tuple[str, str, datetime] | None:
    """(registration id, request digest, created at) of the create that used this key."""
    row = (
        await conn.execute(
            select(r.c.id, r.c.request_digest, r.c.created_at).where(
                r.c.organization_id == organization_id, r.c.idempotency_key == idempotency_key
            )
        )
    ).first()
    return (row.id, row.request_digest, row.created_at) if row else None


async def search_registrations(
    conn: AsyncConnection, where: RegistrationFilter, page_number: int, page_size: int
) -> Page[Registration]:
    query = _base_query()
    if where.organization_id is not None:
        query = query.where(r.c.organization_id == where.organization_id)
    if where.normalized_target_url is not None:
        query = query.where(r.c.normalized_target_url == where.normalized_target_url)
    if where.is_active is not None:
        query = query.where(r.c.is_active == where.is_active)
    if where.text is not None:
        # Scans the organization's registrations (ix_webhook_registrations_org_created): few.
        query = query.where(
            or_(
                r.c.target_url.icontains(where.text, autoescape=True),
                r.c.description.icontains(where.text, autoescape=True),
            )
        )
    if where.entity_name is not None or where.type is not None:
        match = [webhook_events.c.registration_id == r.c.id, webhook_events.c.enabled.is_(True)]
        if where.entity_name is not None:
            match.append(webhook_events.c.entity_name.in_(entity_names_selecting(where.entity_name)))
        if where.type is not None:
            match.append(webhook_events.c.type.in_(type_ids_selecting(where.type)))
        query = query.where(exists().where(and_(*match)))
    query = query.order_by(r.c.created_at, r.c.id)
    total = await count_of(conn, query)
    rows = list(await conn.execute(query.limit(page_size).offset((page_number - 1) * page_size)))
    return Page(await _records(conn, rows), page_number, page_size, total)


async def find_live_duplicate(
    conn: AsyncConnection, organization_id: str, fingerprint: str, exclude_id: str | None = None
) -> str | None:
    query = select(r.c.id).where(
        r.c.organization_id == organization_id,
        r.c.fingerprint == fingerprint,
        r.c.is_active.is_(True),
        r.c.deleted_at.is_(None),
    )
    if exclude_id is not None:
        query = query.where(r.c.id != exclude_id)
    return (await conn.execute(query.limit(1))).scalar_one_or_none()


async def insert_registration(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(r.insert().values(**values))


async def update_registration(conn: AsyncConnection, registration_id: str, values: dict[str, Any]) -> None:
    await conn.execute(update(r).where(r.c.id == registration_id).values(**values))


async def replace_enabled_events(
    conn: AsyncConnection,
    registration_id: str,
    organization_id: str,
    events: list[EventSelection],
) -> None:
    """Enable exactly `events`, with their filters; rows are kept when disabled because past
    Webhooks refer to them."""
    e = webhook_events
    rows = await conn.execute(
        select(e.c.id, e.c.entity_name, e.c.type, e.c.filter).where(e.c.registration_id == registration_id)
    )
    existing = {(row.entity_name, row.type): (row.id, row.filter) for row in rows}
    wanted = {(s.entity_name, s.type_id): s.filter for s in events}
    await conn.execute(
        update(e)
        .where(e.c.registration_id == registration_id)
        .values(enabled=e.c.id.in_([existing[key][0] for key in wanted if key in existing]))
    )
    for key, filter_json in wanted.items():
        if key in existing and existing[key][1] != filter_json:
            await conn.execute(update(e).where(e.c.id == existing[key][0]).values(filter=filter_json))
    added = [
        {
            "id": new_id("whe"),
            "registration_id": registration_id,
            "organization_id": organization_id,
            "entity_name": name,
            "type": type_id,
            "enabled": True,
            "filter": wanted[(name, type_id)],
        }
        for name, type_id in sorted(wanted.keys() - existing.keys())
    ]
    if added:
        await conn.execute(e.insert(), added)


def entity_names_selecting(entity_name: str) -> list[str]:
    """The `entity_name`s of entries that take events of this entity: its own and `*`, which
    leaves out hookline's own entities (see domain/subscriptions.py)."""
    return [entity_name] if entity_name in OPERATIONAL_ENTITIES else [entity_name, EVERY]


def type_ids_selecting(type_: WebhookEventType) -> list[int]:
    return [type_.value, EVERY_TYPE_ID]


async def set_authorization(conn: AsyncConnection, registration_id: str, auth: Authorization) -> None:
    await conn.execute(delete(a).where(a.c.registration_id == registration_id))
    await conn.execute(
        a.insert().values(
            id=new_id("wta"),
            registration_id=registration_id,
            authorization_type=auth.authorization_type.value,
            username=auth.username,
            encrypted_password=auth.encrypted_secret,
            token_url=auth.oauth2.token_url if auth.oauth2 else None,
            scope=auth.oauth2.scope if auth.oauth2 else None,
            audience=auth.oauth2.audience if auth.oauth2 else None,
        )
    )


async def get_authorization(conn: AsyncConnection, registration_id: str) -> Authorization:
    row = (await conn.execute(select(a).where(a.c.registration_id == registration_id))).first()
    if row is None:
        return Authorization(AuthorizationType.NONE, None, None)
    return Authorization(
        AuthorizationType(row.authorization_type), row.username, row.encrypted_password, oauth2_of(row)
    )


async def get_client_certificate(conn: AsyncConnection, registration_id: str) -> bytes | None:
    """The encrypted PEM bundle (chain and key) it presents for mutual TLS, if any."""
    row = await conn.execute(select(r.c.encrypted_client_certificate).where(r.c.id == registration_id))
    sealed: bytes | None = row.scalar_one_or_none()
    return sealed


def client_certificate_values(sealed: bytes | None, summary: CertificateSummary | None) -> dict[str, Any]:
    """The columns that set (or, with None, remove) a client certificate; its expiry is
    announced afresh."""
    return {
        "encrypted_client_certificate": sealed,
        "client_certificate_subject": summary.subject if summary else None,
        "client_certificate_not_after": summary.not_after if summary else None,
        "client_certificate_warned_at": None,
    }


async def certificates_expiring(
    conn: AsyncConnection, before: datetime, limit: int
) -> list[tuple[str, datetime]]:
    """Live registrations whose client certificate ends before `before` and whose expiry has
    not been announced yet, with the certificate's end."""
    rows = await conn.execute(
        select(r.c.id, r.c.client_certificate_not_after)
        .where(
            r.c.client_certificate_not_after < before,
            r.c.client_certificate_warned_at.is_(None),
            r.c.is_active.is_(True),
            r.c.deleted_at.is_(None),
        )
        .order_by(r.c.client_certificate_not_after)
        .limit(limit)
    )
    return [(row.id, row.client_certificate_not_after) for row in rows]


async def mark_certificate_warned(
    conn: AsyncConnection, registration_id: str, now: datetime
) -> tuple[str, str, CertificateSummary] | None:
    """Note that its certificate's expiry was announced: (organization id, target URL, the
    certificate) if this call did it, None if another process got there first."""
    row = (
        await conn.execute(
            update(r)
            .where(r.c.id == registration_id, r.c.client_certificate_warned_at.is_(None))
            .values(client_certificate_warned_at=now)
            .returning(
                r.c.organization_id,
                r.c.target_url,
                r.c.client_certificate_subject,
                r.c.client_certificate_not_after,
            )
        )
    ).first()
    certificate = _certificate_of(row) if row else None
    return (row.organization_id, row.target_url, certificate) if row and certificate else None


def header_names_text(names: Iterable[str]) -> str | None:
    """The stored form of a registration's custom header names (NULL for none)."""
    listed = list(names)
    return json.dumps(listed) if listed else None


async def get_custom_headers(conn: AsyncConnection, registration_id: str) -> bytes | None:
    """The encrypted JSON object of a registration's custom headers, or None."""
    found: bytes | None = (
        await conn.execute(select(r.c.encrypted_custom_headers).where(r.c.id == registration_id))
    ).scalar_one_or_none()
    return found


async def get_signing_secrets(conn: AsyncConnection, registration_id: str) -> tuple[bytes, bytes | None]:
    """The encrypted current secret and the encrypted list of retired ones (or None)."""
    row = (
        await conn.execute(
            select(r.c.signing_secret, r.c.retired_signing_secrets).where(r.c.id == registration_id)
        )
    ).one()
    return row.signing_secret, row.retired_signing_secrets


async def deactivate_registration(
    conn: AsyncConnection, registration_id: str, reason: str, now: datetime
) -> tuple[str, str] | None:
    """Deactivate if still active (a pause ends with it); answers (organization id, target URL)
    if this call did it."""
    return await _change_if(
        conn,
        registration_id,
        r.c.is_active.is_(True),
        {"is_active": False, "paused_at": None, "disabled_reason": reason, "updated_at": now},
    )


async def pause_registration(
    conn: AsyncConnection, registration_id: str, reason: str, now: datetime
) -> tuple[str, str] | None:
    """Pause if active and not paused; answers (organization id, target URL) if this call did it."""
    return await _change_if(
        conn,
        registration_id,
        and_(r.c.is_active.is_(True), r.c.paused_at.is_(None)),
        {"paused_at": now, "disabled_reason": reason, "updated_at": now},
    )


async def resume_registration(
    conn: AsyncConnection, registration_id: str, now: datetime
) -> tuple[str, str] | None:
    """End a pause with a clean record (no failing streak carried over); answers (organization
    id, target URL) if this call did it."""
    return await _change_if(
        conn,
        registration_id,
        and_(r.c.is_active.is_(True), r.c.paused_at.is_not(None)),
        {"paused_at": None, "disabled_reason": None, "failing_since": None, "updated_at": now},
    )


async def _change_if(
    conn: AsyncConnection, registration_id: str, condition: Any, values: dict[str, Any]
) -> tuple[str, str] | None:
    """A guarded update: of concurrent callers exactly one sees its change happen."""
    row = (
        await conn.execute(
            update(r)
            .where(r.c.id == registration_id, condition)
            .values(**values)
            .returning(r.c.organization_id, r.c.target_url)
        )
    ).first()
    return (row.organization_id, row.target_url) if row else None


async def paused_among(conn: AsyncConnection, registration_ids: Iterable[str]) -> set[str]:
    """Which of these registrations are paused now."""
    ids = sorted(set(registration_ids))
    if not ids:
        return set()
    rows = await conn.execute(select(r.c.id).where(r.c.id.in_(ids), r.c.paused_at.is_not(None)))
    return set(rows.scalars())


async def mark_attempt_outcomes(
    conn: AsyncConnection, succeeded: set[str], failed: set[str], now: datetime
) -> None:
    """A success ends a registration's failing streak; a failure starts one if none runs.

    Both only write a row whose streak changes, so a healthy target costs no row locks.
    """
    if succeeded:
        await conn.execute(
            update(r)
            .where(r.c.id.in_(sorted(succeeded)), r.c.failing_since.is_not(None))
            .values(failing_since=None)
        )
    if failed:
        await conn.execute(
            update(r).where(r.c.id.in_(sorted(failed)), r.c.failing_since.is_(None)).values(failing_since=now)
        )


async def active_past(
    conn: AsyncConnection,
    moment_column: Literal["expires_at", "failing_since", "paused_at"],
    moment: datetime,
    limit: int,
) -> list[tuple[str, datetime]]:
    """Active registrations whose `expires_at`, `failing_since` or `paused_at` is at or before
    `moment`: (id, that value), oldest first. A paused registration makes no attempts, so its
    failing streak is not counted while the pause lasts."""
    column = r.c[moment_column]
    query = select(r.c.id, column).where(r.c.is_active.is_(True), column <= moment)
    if moment_column == "failing_since":
        query = query.where(r.c.paused_at.is_(None))
    rows = await conn.execute(query.order_by(column).limit(limit))
    return [(row[0], row[1]) for row in rows]


async def purge_deleted(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete up to `limit` registrations deleted before `before` that no Webhook refers to any
    more, with their events and authorization (their encrypted secrets go with them)."""
    ids = await unreferenced_before(conn, r.c.deleted_at, before, webhooks.c.registration_id, limit)
    if ids:
        await conn.execute(delete(webhook_events).where(webhook_events.c.registration_id.in_(ids)))
        await conn.execute(delete(a).where(a.c.registration_id.in_(ids)))
        await conn.execute(
            delete(registration_throttles).where(registration_throttles.c.registration_id.in_(ids))
        )
        await conn.execute(delete(r).where(r.c.id.in_(ids)))
    return len(ids)


def schedule_text(items: tuple[str, ...] | None) -> str | None:
    """A registration's `retrySchedule` as stored: `10s,1m`, empty for none, NULL for the default."""
    return None if items is None else ",".join(items)


def schedule_items(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(part for part in text.split(",") if part)


def live_registration_clause(now: datetime) -> Any:
    """Registrations that receive new Webhooks: active, not deleted, not expired."""
    return and_(
        r.c.is_active.is_(True),
        r.c.deleted_at.is_(None),
        or_(r.c.expires_at.is_(None), r.c.expires_at > now),
    )
