"""Driver errors, translated at the store's edge into hookline's own.

Every transaction of `Database` passes what escapes it through `translate`, so no caller above
the store sees SQLAlchemy, asyncpg or sqlite3:

    DatabaseUnavailable     (domain.errors) down, restarting, the connection dropped, the pool
                            exhausted: answered 503 and retried
    Duplicate               a unique constraint refused a row; by constraint name:
    ├── DuplicateEventId        an event with this idempotency id exists in the organization
    ├── DuplicateIdempotencyKey a registration was created with this Idempotency-Key
    └── DuplicateRegistration   an identical live registration exists

Anything else (a statement gone wrong) is a bug and travels unchanged, traceback and all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from hookline.domain.errors import DatabaseUnavailable
from hookline.store.tables import metadata

_SERVER_GONE = (
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,  # terminated by a fast shutdown or restart
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,  # the connection was closed under us
)


class Duplicate(Exception):
    """A unique constraint refused a row; `constraint` names it."""

    def __init__(self, constraint: str) -> None:
        super().__init__(f"duplicate row refused by {constraint}")
        self.constraint = constraint


class DuplicateEventId(Duplicate):
    """A concurrent publish with the same idempotency id committed first."""


class DuplicateIdempotencyKey(Duplicate):
    """A concurrent registration with the same Idempotency-Key committed first."""


class DuplicateRegistration(Duplicate):
    """A concurrent identical registration committed first."""


_BY_CONSTRAINT: dict[str, type[Duplicate]] = {
    "uq_domain_events_organization_id_idempotency_id": DuplicateEventId,
    "uq_webhook_registrations_organization_id_idempotency_key": DuplicateIdempotencyKey,
    "uq_webhook_registrations_live_fingerprint": DuplicateRegistration,
}


def _unique_names_by_columns() -> dict[str, str]:
    """SQLite names the columns, not the constraint: `UNIQUE constraint failed: t.a, t.b`."""
    names: dict[str, str] = {}
    for table in metadata.tables.values():
        uniques: list[UniqueConstraint | Index] = [
            c for c in table.constraints if isinstance(c, UniqueConstraint)
        ]
        uniques += [index for index in table.indexes if index.unique]
        for unique in uniques:
            columns = ", ".join(f"{table.name}.{column.name}" for column in unique.columns)
            names[columns] = str(unique.name)
    return names


_SQLITE_UNIQUES = _unique_names_by_columns()
_SQLITE_PREFIX = "UNIQUE constraint failed: "


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached right now (down, restarting, the
    connection dropped, the pool exhausted) rather than a statement gone wrong: the first is
    answered 503 and retried, the second is a bug."""
    if isinstance(error, DatabaseUnavailable):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated or isinstance(error, OperationalError):
            return True
        # A refused connect ("shutting down", "starting up") arrives wrapped twice: SQLAlchemy's
        # error around the driver adapter's, caused by asyncpg's own.
        return error.orig is not None and isinstance(error.orig.__cause__, _SERVER_GONE)
    return isinstance(error, (PoolTimeout, OSError, *_SERVER_GONE))


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the unique constraint `error` reports, or None if it is no unique violation."""
    cause = error.orig.__cause__ if error.orig is not None else None
    if isinstance(cause, asyncpg.UniqueViolationError):
        return str(cause.constraint_name)
    if isinstance(error.orig, sqlite3.IntegrityError) and str(error.orig).startswith(_SQLITE_PREFIX):
        return _SQLITE_UNIQUES.get(str(error.orig).removeprefix(_SQLITE_PREFIX), "unknown")
    return None


def translate(error: Exception) -> Exception:
    """hookline's own error for a driver error; any other error unchanged."""
    if unavailable(error):
        return error if isinstance(error, DatabaseUnavailable) else DatabaseUnavailable(_first_line(error))
    if isinstance(error, IntegrityError):
        constraint = violated_constraint(error)
        if constraint is not None:
            return _BY_CONSTRAINT.get(constraint, Duplicate)(constraint)
    return error


@contextmanager
def translated_errors() -> Iterator[None]:
    """Whatever escapes the block leaves it as hookline's own error (see `translate`)."""
    try:
        yield
    except Exception as error:
        mine = translate(error)
        if mine is error:
            raise
        raise mine from error


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__
