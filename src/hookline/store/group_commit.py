"""Group commit: concurrent small writes share one transaction, and so one commit.

Each job still commits atomically (all of it or none), but N publishers waiting for the single
SQLite writer, or for PostgreSQL commits, pay for one transaction instead of N. A batch that
fails is retried job by job, so one bad job never fails its neighbours.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from hookline.store.db import Database, Transaction

Job = TypeVar("Job")
Result = TypeVar("Result")


class GroupCommit(Generic[Job, Result]):
    def __init__(
        self,
        db: Database,
        write: Callable[[Transaction, list[Job]], Awaitable[list[Result]]],
        *,
        max_batch: int = 256,
    ) -> None:
        self._db = db
        self._write = write
        self._max_batch = max_batch
        self._pending: list[tuple[Job, asyncio.Future[Result]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, job: Job) -> Result:
        """Write `job` in the next transaction; returns once that transaction has committed."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((job, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain(), name="hookline-group-commit")
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await asyncio.shield(self._commit(batch))
        finally:
            self._drainer = None

    async def _commit(self, batch: list[tuple[Job, asyncio.Future[Result]]]) -> None:
        try:
            async with self._db.write() as conn:
                results = await self._write(conn, [job for job, _ in batch])
        except Exception as error:
            if len(batch) > 1:
                for item in batch:
                    await self._commit([item])
            elif not batch[0][1].done():
                batch[0][1].set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
