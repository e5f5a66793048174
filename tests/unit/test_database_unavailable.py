"""Which errors mean "the database cannot be reached now" (503, retry) rather than a bug (500)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from hookline.store.errors import unavailable


def _wrapped(cause: BaseException) -> DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises a refused connect: its error around the adapter's."""
    adapter_error = Exception(str(cause))
    adapter_error.__cause__ = cause
    return DBAPIError(None, None, adapter_error)


@pytest.mark.parametrize(
    "error",
    [
        DBAPIError("SELECT 1", None, Exception("connection was closed"), connection_invalidated=True),
        _wrapped(asyncpg.CannotConnectNowError("the database system is shutting down")),
        OperationalError("SELECT 1", None, Exception("database is locked")),
        PoolTimeout("QueuePool limit reached"),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    ],
)
def test_unreachable(error: BaseException) -> None:
    assert unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("INSERT", None, Exception("duplicate key")),
        DBAPIError("SELECT nonsense", None, Exception("syntax error")),
        _wrapped(asyncpg.UndefinedColumnError("column does not exist")),
        asyncpg.UndefinedColumnError("column does not exist"),
        ValueError("a bug"),
    ],
)
def test_a_statement_gone_wrong_is_not_unreachable(error: BaseException) -> None:
    assert not unavailable(error)
