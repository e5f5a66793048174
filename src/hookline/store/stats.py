"""Health figures read from the attempts: per hour, percentiles, the last failure, the most
failing registrations. Every query reads one index range: ix_webhook_attempts_registration_started
for a registration, ix_webhook_attempts_org_started for an organization (for every organization:
one range per organization, joined from `organizations`). The window comes from the caller's
clock: no NOW() in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.records import LastFailure
from hookline.store.sql import hour_of, hour_start
from hookline.store.tables import organizations, webhook_attempts
from hookline.store.types import UtcDateTime

a = webhook_attempts


@dataclass(frozen=True, slots=True)
class AttemptScope:
    """Whose attempts: one registration, one organization, or (both None) every organization."""

    registration_id: str | None = None
    organization_id: str | None = None


@dataclass(frozen=True, slots=True)
class HourCounts:
    start: datetime
    successes: int
    failures: int
    total_duration_ms: int
    max_duration_ms: int


@dataclass(frozen=True, slots=True)
class FailureCounts:
    registration_id: str
    attempts: int
    failures: int
    last_failure_at: datetime


def _in_window(query: Select[Any], scope: AttemptScope, since: datetime, until: datetime) -> Select[Any]:
    query = query.where(a.c.started_at >= since, a.c.started_at < until)
    if scope.registration_id is not None:
        return query.where(a.c.registration_id == scope.registration_id)
    if scope.organization_id is not None:
        return query.where(a.c.organization_id == scope.organization_id)
    # Every organization: one range of the index per organization, rather than a table scan.
    return query.where(a.c.organization_id.in_(select(organizations.c.id)))


_FAILED = case((a.c.succeeded, 0), else_=1)


async def hourly_counts(
    conn: AsyncConnection, scope: AttemptScope, since: datetime, until: datetime
) -> list[HourCounts]:
    """Attempts per UTC hour in [since, until), hours without attempts left out."""
    hour = hour_of(a.c.started_at, conn.dialect.name).label("hour")
    query = _in_window(
        select(
            hour,
            func.count().label("attempts"),
            func.sum(_FAILED).label("failures"),
            func.sum(a.c.duration_ms).label("total_ms"),
            func.max(a.c.duration_ms).label("max_ms"),
        ).select_from(a),
        scope,
        since,
        until,
    ).group_by(hour)
    return [
        HourCounts(
            start=hour_start(row.hour),
            successes=int(row.attempts) - int(row.failures),
            failures=int(row.failures),
            total_duration_ms=int(row.total_ms),
            max_duration_ms=int(row.max_ms),
        )
        for row in await conn.execute(query)
    ]


async def duration_at_rank(
    conn: AsyncConnection, scope: AttemptScope, since: datetime, until: datetime, rank: int
) -> int | None:
    """The `rank`-th smallest attempt duration (1-based) in the window; portable percentiles."""
    query = _in_window(select(a.c.duration_ms).select_from(a), scope, since, until)
    value = (
        await conn.execute(query.order_by(a.c.duration_ms).limit(1).offset(cast(rank - 1, Integer)))
    ).scalar()
    return None if value is None else int(value)


async def last_failure(
    conn: AsyncConnection, scope: AttemptScope, since: datetime, until: datetime
) -> LastFailure | None:
    """The latest failed attempt in the window."""
    query = _in_window(
        select(
            a.c.started_at, a.c.webhook_id, a.c.id, a.c.attempt_number,
            a.c.response_status, a.c.error, a.c.duration_ms,
        ).select_from(a),
        scope,
        since,
        until,
    ).where(a.c.succeeded.is_(False))  # fmt: skip
    row = (await conn.execute(query.order_by(a.c.started_at.desc(), a.c.id.desc()).limit(1))).first()
    return LastFailure(*row) if row else None


async def most_failing(
    conn: AsyncConnection, scope: AttemptScope, since: datetime, until: datetime, limit: int
) -> list[FailureCounts]:
    """The registrations with the most failed attempts in the window (at least one), most first."""
    failures = func.sum(_FAILED)
    last = func.max(case((a.c.succeeded, None), else_=a.c.started_at), type_=UtcDateTime())
    query = (
        _in_window(
            select(a.c.registration_id, func.count(), failures, last).select_from(a), scope, since, until
        )
        .group_by(a.c.registration_id)
        .having(failures > 0)
        .order_by(failures.desc(), a.c.registration_id)
        .limit(limit)
    )
    rows = await conn.execute(query)
    return [
        FailureCounts(registration_id, int(count), int(failed), last_at)
        for registration_id, count, failed, last_at in rows
    ]
