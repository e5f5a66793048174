"""Organizations: the isolation scope, created on first reference."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.sql import insert_ignoring_conflict
from hookline.store.tables import organizations


async def ensure_organization(conn: AsyncConnection, organization_id: str, now: datetime) -> None:
    await insert_ignoring_conflict(conn, organizations, {"id": organization_id, "created_at": now})
