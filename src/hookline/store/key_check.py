"""The secret key's check value: one row, written once, encrypted with the key that encrypts
every stored secret, so a process started with another key can tell at start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hookline.store.db import Connection
from hookline.store.tables import secret_key_check, webhook_registrations

_ROW = 1


async def read_check(conn: Connection) -> bytes | None:
    token: bytes | None = (
        await conn.execute(select(secret_key_check.c.token).where(secret_key_check.c.id == _ROW))
    ).scalar_one_or_none()
    return token


async def write_check_once(conn: Connection, token: bytes, now: datetime) -> None:
    """Store `token` unless a check value exists already (a concurrent start may have won)."""
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        insert(secret_key_check).values(id=_ROW, token=token, created_at=now).on_conflict_do_nothing()
    )


async def any_signing_secret(conn: Connection) -> bytes | None:
    """One stored (encrypted) signing secret, to check a key against a database that holds
    secrets from before the check value existed."""
    sealed: bytes | None = (
        await conn.execute(select(webhook_registrations.c.signing_secret).limit(1))
    ).scalar_one_or_none()
    return sealed
