"""The migrations, from an empty database, build exactly the schema the code declares, on both
databases."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from hookline.store.db import Database, alembic_config
from hookline.store.tables import metadata


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_migrated_schema_matches_the_declared_tables(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        await db.migrate()
        async with db.read() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await db.close()


async def test_concurrent_migrations_end_at_the_head_revision(empty_database_url: str) -> None:
    """`serve` and `worker` processes may start together; each migrates, none fails."""
    databases = [Database(empty_database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(db.migrate() for db in databases))
        async with databases[0].read() as conn:
            version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    finally:
        await asyncio.gather(*(db.close() for db in databases))
