"""Target 8: whether a 202 survives an OS crash, as hookline's own connections are set up.

Read through hookline's `Database`, so the SQLite figure is what its connect hook sets on every
connection (`PRAGMA synchronous`: 2 is FULL), and the PostgreSQL one what its sessions commit
with (`synchronous_commit`, which hookline leaves at the server's setting).
"""

from __future__ import annotations

from hookline.store.db import Database

SQLITE_FULL = 2


async def durability(database_url: str) -> tuple[str, bool]:
    """(what the setting says, whether each commit is on disk before it returns)."""
    db = Database(database_url)
    try:
        async with db.read() as conn:
            if db.is_sqlite:
                level = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one()
                names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
                return f"synchronous={names.get(level, level)}", level >= SQLITE_FULL
            setting = (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar_one()
            return f"synchronous_commit={setting}", setting in ("on", "remote_write", "remote_apply")
    finally:
        await db.close()
