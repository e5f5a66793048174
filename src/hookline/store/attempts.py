"""Webhook attempts: written by the worker together with the Webhook's next state."""

from __future__ import annotations

import json
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
        registration_id=row.registration_id,
        organization_id=row.organization_id,
        attempt_number=row.attempt_number,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        response_status=row.response_status,
        response_body=row.response_body,
        error=row.error,
        succeeded=row.succeeded,
        request_headers=json.loads(row.request_headers) if row.request_headers else {},
        response_headers=json.loads(row.response_headers) if row.response_headers else None,
    )


async def insert_attempts(conn: AsyncConnection, attempts: list[Attempt]) -> None:
    if attempts:
        await conn.execute(
            webhook_attempts.insert(),
            [
                {
                    "id": x.id,
                    "webhook_id": x.webhook_id,
                    "registration_id": x.registration_id,
                    "organization_id": x.organization_id,
                    "attempt_number": x.attempt_number,
                    "started_at": x.started_at,
                    "duration_ms": x.duration_ms,
                    "response_status": x.response_status,
                    "response_body": x.response_body,
                    "error": x.error,
                    "succeeded": x.succeeded,
                    "request_headers": _json(x.request_headers),
                    "response_headers": None if x.response_headers is None else _json(x.response_headers),
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


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Built once: `json.dumps` with options builds an encoder per call, twice per attempt here."""


def _json(headers: dict[str, str]) -> str:
    return _ENCODER.encode(headers)
