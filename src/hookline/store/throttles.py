"""The token buckets of throttled registrations (`maxRequestsPerSecond`), shared by every worker.

Only the claim touches them, last in its transaction, and it locks the rows it debits in
ascending registration id (PostgreSQL; SQLite has one writer): two workers claiming for the same
registration take turns on its bucket, so together they never send more than it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.ratelimit import TokenBucket
from hookline.domain.throttle import burst_of, stored_bucket
from hookline.store.tables import registration_throttles

t = registration_throttles


@dataclass(frozen=True, slots=True)
class Debit:
    taken: int
    """How many of the requests wanted the bucket allowed."""
    bucket: TokenBucket
    """The bucket after the debit."""


async def debit(
    conn: AsyncConnection, wanted: Mapping[str, tuple[int, int]], clock: Callable[[], datetime]
) -> dict[str, Debit]:
    """Take from each registration's bucket (id → (rate, requests wanted)) as many tokens as it
    holds, up to what is wanted; a registration without a bucket yet starts with a full one.

    The instant of the debit is read from `clock` once the buckets are locked, not when the
    claim began: the requests leave right after this transaction commits, so debits spaced by
    their real instants are requests spaced at the target too.
    """
    found = await _locked(conn, list(wanted))
    missing = [registration for registration in wanted if registration not in found]
    now = clock()
    if missing:
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(t)
        await conn.execute(
            insert.on_conflict_do_nothing(),
            [
                {
                    "registration_id": registration,
                    "tokens": burst_of(wanted[registration][0]),
                    "updated_at": now,
                }
                for registration in missing
            ],
        )
        found |= await _locked(conn, missing)  # another worker may have inserted first
        now = clock()
    debits: dict[str, Debit] = {}
    for registration, (rate, requests) in wanted.items():
        tokens, updated_at = found[registration]
        bucket = stored_bucket(rate, tokens, updated_at)
        debits[registration] = Debit(bucket.take_up_to(requests, now), bucket)
    await conn.execute(
        update(t)
        .where(t.c.registration_id == bindparam("b_id"))
        .values(tokens=bindparam("b_tokens"), updated_at=bindparam("b_at")),
        [
            {"b_id": registration, "b_tokens": done.bucket.tokens, "b_at": done.bucket.updated_at}
            for registration, done in debits.items()
        ],
    )
    return debits


async def _locked(conn: AsyncConnection, registration_ids: list[str]) -> dict[str, tuple[float, datetime]]:
    query = (
        select(t.c.registration_id, t.c.tokens, t.c.updated_at)
        .where(t.c.registration_id.in_(registration_ids))
        .order_by(t.c.registration_id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row[0]: (row[1], row[2]) for row in await conn.execute(query)}
