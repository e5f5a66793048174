"""API keys: only their SHA-256 is stored; the key itself is shown once, at creation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.enums import Role
from hookline.domain.records import ApiKey, Page
from hookline.store.sql import count_of
from hookline.store.tables import api_keys

LAST_USED_PRECISION = timedelta(minutes=1)
"""`lastUsedAt` is refreshed at most this often, so authentication rarely writes."""


def _record(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        organization_id=row.organization_id,
        role=Role(row.role),
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


async def insert_api_key(conn: AsyncConnection, key: ApiKey, key_hash: str) -> None:
    await conn.execute(
        api_keys.insert().values(
            id=key.id,
            organization_id=key.organization_id,
            role=key.role.value,
            name=key.name,
            key_hash=key_hash,
            created_at=key.created_at,
        )
    )


async def find_live_key(conn: AsyncConnection, key_hash: str) -> ApiKey | None:
    row = (
        await conn.execute(
            select(api_keys).where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
        )
    ).first()
    return _record(row) if row else None


async def touch_api_key(conn: AsyncConnection, key_id: str, now: datetime) -> None:
    await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id)
        .where((api_keys.c.last_used_at.is_(None)) | (api_keys.c.last_used_at < now - LAST_USED_PRECISION))
        .values(last_used_at=now)
    )


def _in_organization(organization_id: str | None) -> ColumnElement[bool]:
    """Keys an organization's owner manages: its own, but never an admin (operator) key."""
    if organization_id is None:
        return true()
    return (api_keys.c.organization_id == organization_id) & (api_keys.c.role != Role.ADMIN.value)


async def list_api_keys(
    conn: AsyncConnection, page_number: int, page_size: int, organization_id: str | None = None
) -> Page[ApiKey]:
    query = (
        select(api_keys)
        .where(api_keys.c.revoked_at.is_(None), _in_organization(organization_id))
        .order_by(api_keys.c.created_at, api_keys.c.id)
    )
    total = await count_of(conn, query)
    rows = await conn.execute(query.limit(page_size).offset((page_number - 1) * page_size))
    return Page([_record(r) for r in rows], page_number, page_size, total)


async def revoke_api_key(
    conn: AsyncConnection, key_id: str, now: datetime, organization_id: str | None = None
) -> bool:
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None), _in_organization(organization_id))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)
