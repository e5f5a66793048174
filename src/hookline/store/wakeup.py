"""Wake idle workers the moment something becomes due.

In one process an `asyncio.Event` suffices; across processes on PostgreSQL a transaction that
made work due sends `NOTIFY hookline_due`, delivered on commit, and each worker LISTENs. Both
are sent by `Transaction.wake_workers()` (db.py), the one place that wakes workers.
Polling `next_attempt_at` stays as the safety net for lost notifications.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from hookline.backoff import Backoff

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


class PostgresListener:
    """Rings `wakeup` on every `NOTIFY hookline_due`; reconnects if the connection drops."""

    def __init__(self, dsn: str, wakeup: Wakeup, connect_timeout_s: float) -> None:
        self._dsn = dsn
        self._wakeup = wakeup
        self._connect_timeout_s = connect_timeout_s
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
                connection = await asyncpg.connect(self._dsn, timeout=self._connect_timeout_s)
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
