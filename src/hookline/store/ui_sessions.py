"""Signed-in UI sessions, so signing out ends a session on the server, not only in the browser."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.tables import ui_sessions

s = ui_sessions


async def open_session(
    conn: AsyncConnection, id_hash: str, key_id: str | None, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        s.insert().values(id_hash=id_hash, key_id=key_id, created_at=now, expires_at=expires_at)
    )


async def session_is_open(conn: AsyncConnection, id_hash: str, now: datetime) -> bool:
    """Whether the session exists and has not expired (by the primary key)."""
    query = select(exists().where(s.c.id_hash == id_hash, s.c.expires_at > now))
    return bool((await conn.execute(query)).scalar())


async def close_session(conn: AsyncConnection, id_hash: str) -> None:
    await conn.execute(delete(s).where(s.c.id_hash == id_hash))


async def purge_expired(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete up to `limit` sessions that expired at or before `before` (ix_ui_sessions_expires)."""
    expired = select(s.c.id_hash).where(s.c.expires_at <= before).order_by(s.c.expires_at).limit(limit)
    hashes = list((await conn.execute(expired)).scalars())
    if hashes:
        await conn.execute(delete(s).where(s.c.id_hash.in_(hashes)))
    return len(hashes)
