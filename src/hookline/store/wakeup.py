"""Wake idle workers the moment something becomes due.

In one process an `asyncio.Event` suffices; across processes on PostgreSQL the publishing
transaction sends `NOTIFY hookline_due`, delivered on commit, and each worker LISTENs.
Polling `next_attempt_at` stays as the safety net for lost notifications.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.backoff import Backoff
from hookline.store.db import CONNECT_TIMEOUT_S

CHANNEL = "hookline_due"
log = logging.getLogger(__name__)


class Wakeup:
    """An in-process doorbell; `ring` is safe to call from anywhere in the event loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, timeout_s: float) -> bool:
        """True if rung, False after `timeout_s`."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except TimeoutError:
            return False
        return True


async def notify_due(conn: AsyncConnection) -> None:
    """Queue a cross-process wake-up; PostgreSQL sends it only if the transaction commits."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text(f"NOTIFY {CHANNEL}"))


class PostgresListener:
    """Rings `wakeup` on every `NOTIFY hookline_due`; reconnects if the connection drops."""

    def __init__(self, database_url: str, wakeup: Wakeup) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._wakeup = wakeup
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="hookline-listen")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _listen(self) -> None:
        backoff = Backoff()
        while True:
            try:
                connection = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT_S)
            except (OSError, asyncpg.PostgresError) as error:
                delay_s = backoff.next_delay_s()
                log.warning("LISTEN connection failed (%s); retrying in %.1fs", error, delay_s)
                await asyncio.sleep(delay_s)
                continue
            backoff.reset()
            lost = asyncio.Event()
            try:
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._on_notify)
                self._wakeup.ring()  # catch up on anything published while not listening
                await lost.wait()
            finally:
                await connection.close()

    def _on_notify(self, *_: Any) -> None:
        self._wakeup.ring()
