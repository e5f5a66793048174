"""Webhook attempts: written by the worker together with the Webhook's next state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.records import Attempt, Page
from hookline.store.sql import count_of
from hookline.store.tables import webhook_attempts


def _record(row: Any) -> Attempt:
    return Attempt(
        id=row.id,
        webhook_id=row.webhook_id,
        attempt_number=row.attempt_number,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        response_status=row.response_status,
        response_body=row.response_body,
        error=row.error,
        succeeded=row.succeeded,
    )


async def insert_attempts(conn: AsyncConnection, attempts: list[Attempt]) -> None:
    if attempts:
        await conn.execute(
            webhook_attempts.insert(),
            [
                {
                    "id": x.id,
                    "webhook_id": x.webhook_id,
                    "attempt_number": x.attempt_number,
                    "started_at": x.started_at,
                    "duration_ms": x.duration_ms,
                    "response_status": x.response_status,
                    "response_body": x.response_body,
                    "error": x.error,
                    "succeeded": x.succeeded,
                }
                for x in attempts
            ],
        )


async def list_attempts(
    conn: AsyncConnection, webhook_id: str, page_number: int, page_size: int
) -> Page[Attempt]:
    query = (
        select(webhook_attempts)
        .where(webhook_attempts.c.webhook_id == webhook_id)
        .order_by(webhook_attempts.c.attempt_number)
    )
    total = await count_of(conn, query)
    rows = await conn.execute(query.limit(page_size).offset((page_number - 1) * page_size))
    return Page([_record(row) for row in rows], page_number, page_size, total)
