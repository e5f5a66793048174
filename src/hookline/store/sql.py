"""Small SQL helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, Table, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def insert_ignoring_conflict(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> bool:
    """Insert unless a unique key already holds the row; True if this call inserted it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values).on_conflict_do_nothing()
    result = await conn.execute(statement)
    return bool(result.rowcount)


async def count_of(conn: AsyncConnection, query: Select[Any]) -> int:
    """Rows `query` would return, ignoring its ordering and paging."""
    counted = select(func.count()).select_from(query.order_by(None).limit(None).offset(None).subquery())
    return int((await conn.execute(counted)).scalar_one())


async def unreferenced_before(
    conn: AsyncConnection, age: Column[Any], before: datetime, referrer: Column[Any], limit: int
) -> list[str]:
    """Ids of up to `limit` rows of `age`'s table, oldest first, older than `before`, that no
    row refers to through the foreign key column `referrer`: what retention may delete."""
    table = age.table
    query = (
        select(table.c.id)
        .where(age < before, ~exists().where(referrer == table.c.id))
        .order_by(age)
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


def hour_of(column: Column[Any], dialect: str) -> ColumnElement[Any]:
    """The UTC hour an instant falls in, for GROUP BY; `hour_start` reads it back.

    SQLite keeps instants as ISO text (types.UtcDateTime), whose first 13 characters are the
    hour; its strftime('%s') would round fractional seconds up into the next hour.
    """
    if dialect == "postgresql":
        return func.date_trunc("hour", column.op("AT TIME ZONE")(literal("UTC")))
    return func.substr(column, 1, 13)


def hour_start(value: Any) -> datetime:
    if isinstance(value, str):
        return datetime.strptime(value, "%Y-%m-%d %H").replace(tzinfo=UTC)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC)
