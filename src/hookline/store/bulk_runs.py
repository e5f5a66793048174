"""Progress records of long bulk actions (domain/bulk_runs.py); the batch that acts writes its
progress in its own transaction."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.bulk_runs import BulkRun
from hookline.store.tables import bulk_runs


async def insert_run(conn: AsyncConnection, run: BulkRun) -> None:
    await conn.execute(bulk_runs.insert().values(**asdict(run)))  # the columns are its fields


async def advance(conn: AsyncConnection, run_id: str, moved: int, now: datetime) -> None:
    await conn.execute(
        update(bulk_runs)
        .where(bulk_runs.c.id == run_id)
        .values(done=bulk_runs.c.done + moved, updated_at=now)
    )


async def end(conn: AsyncConnection, run_id: str, now: datetime, *, finished: bool) -> None:
    """Finished, or interrupted (the process is stopping): either way it advances no more."""
    values = {"finished_at": now} if finished else {"interrupted": True}
    await conn.execute(update(bulk_runs).where(bulk_runs.c.id == run_id).values(updated_at=now, **values))


async def get_run(conn: AsyncConnection, run_id: str, organization_id: str | None) -> BulkRun | None:
    """The run, if it was started in `organization_id` (None: any)."""
    query = select(bulk_runs).where(bulk_runs.c.id == run_id)
    if organization_id is not None:
        query = query.where(bulk_runs.c.organization_id == organization_id)
    row = (await conn.execute(query)).first()
    return None if row is None else BulkRun(**row._mapping)


async def purge_stale(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete up to `limit` runs that last advanced before `before`: ended, or long dead."""
    stale = select(bulk_runs.c.id).where(bulk_runs.c.updated_at < before).order_by(bulk_runs.c.updated_at)
    ids = list((await conn.execute(stale.limit(limit))).scalars())
    if ids:
        await conn.execute(delete(bulk_runs).where(bulk_runs.c.id.in_(ids)))
    return len(ids)
