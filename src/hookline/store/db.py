"""The database handle: engine, transactions, SQLite pragmas and migrations.

Every transaction is opened here, so this is where the store's edge is: driver errors leave it
translated (see errors.py), and work a transaction made due wakes the workers once it commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from hookline.store.errors import translated_errors
from hookline.store.wakeup import CHANNEL, PostgresListener, Wakeup

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE_OPTION = "hookline_write"
MIGRATION_LOCK = 0x686F6F6B  # "hook": one migrating process at a time on PostgreSQL
CONNECT_TIMEOUT_S = 5.0
"""asyncpg waits 60 s for an unreachable host by default; a request should fail sooner."""


def async_url(url: str) -> str:
    """`sqlite:///x.db` and `postgresql://...` with the async driver hookline uses."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}.get(
        parsed.drivername.split("+")[0]
    )
    if driver is None:
        raise ValueError(f"unsupported database {parsed.drivername!r}; use sqlite or postgresql")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """WAL so reads run beside the writer; hookline, not the driver, says when to BEGIN."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "busy_timeout=10000",  # first: switching a new file to WAL waits for a migrating process too
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: SyncConnection) -> None:
    """Writers take the write lock up front (IMMEDIATE), so a transaction never fails halfway
    on upgrading a read lock; this also serializes writers of different processes."""
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


Connection = AsyncConnection
"""What `Database.read()` hands out and what store functions take; a Transaction is one too."""


class Transaction(AsyncConnection):
    """The connection of one `Database.write()` transaction.

    It is an AsyncConnection, so every store function takes it as it is; on top it carries
    what must happen once it commits: `wake_workers()` says this transaction made work due.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.wakes_workers = False

    async def wake_workers(self) -> None:
        """Wake idle workers once this transaction commits: here `NOTIFY` (PostgreSQL delivers
        it on commit, to every process), after the commit the in-process doorbell; on rollback
        neither."""
        if not self.wakes_workers and self.dialect.name == "postgresql":
            await self.execute(text(f"NOTIFY {CHANNEL}"))
        self.wakes_workers = True


class Database:
    """One engine plus the transaction discipline both dialects need.

    SQLite allows one writer: writes queue on an in-process lock (and across processes on
    `BEGIN IMMEDIATE` with a busy timeout) instead of failing with `database is locked`, and
    reads run beside them in WAL mode.
    """

    def __init__(self, url: str, *, pool_size: int = 20, wakeup: Wakeup | None = None) -> None:
        self.url = async_url(url)
        self.wakeup = wakeup or Wakeup()
        """Rung after every commit that made work due; workers of this process wait on it."""
        self.is_sqlite = self.url.startswith("sqlite")
        options: dict[str, Any] = {}
        if not self.is_sqlite:
            # No pre-ping (a round trip per checkout): a dropped connection fails one statement,
            # which SQLAlchemy turns into invalidating the pool; callers answer 503 and retry.
            # Measured against a PostgreSQL restart: only the first statement after it fails, once
            # per process, because SQLAlchemy then recycles every pooled connection.
            options |= {
                "pool_size": pool_size,
                "max_overflow": pool_size,
                "pool_recycle": 3600,
                "connect_args": {"timeout": CONNECT_TIMEOUT_S},
            }
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_connect)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """A transaction that may write; committed on success, rolled back on error."""
        with translated_errors():
            tx = Transaction(self.engine)
            async with self._write_lock or nullcontext(), tx:
                await tx.execution_options(**{WRITE_OPTION: True})
                async with tx.begin():
                    yield tx
        if tx.wakes_workers:
            self.wakeup.ring()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        with translated_errors():
            async with self.engine.connect() as conn:
                yield conn

    def listener(self) -> PostgresListener:
        """Rings this database's doorbell on every NOTIFY from any process (PostgreSQL only)."""
        url = make_url(self.url).set(drivername="postgresql")
        return PostgresListener(url.render_as_string(hide_password=False), self.wakeup, CONNECT_TIMEOUT_S)

    async def migrate(self) -> None:
        """Bring the schema to the newest revision; safe when several processes start at once."""
        async with self.write() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_upgrade)

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: SyncConnection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: SyncConnection) -> None:
    command.upgrade(alembic_config(connection), "head")
