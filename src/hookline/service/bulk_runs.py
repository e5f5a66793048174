"""Long bulk actions run in the background with a progress record their UI page polls.

A bulk retry, abort or resolve (or a registration's recovery) of at most one batch runs in the
request, as before. A longer one is counted, recorded and answered at once; the process then
acts batch by batch, each batch committing together with its progress, so the record says
exactly how far it got. A process that stops cancels its runs between two statements: the
batch under way rolls back whole and the run is marked interrupted (a crash leaves it silent,
which domain/bulk_runs.py also shows as interrupted). Running it again takes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from hookline.domain.bulk_runs import BulkRun
from hookline.domain.enums import WebhookState
from hookline.domain.errors import NotFound
from hookline.domain.records import WebhookFilter
from hookline.domain.states import BulkAction
from hookline.ids import new_id
from hookline.service.webhooks import BULK_BATCH, BulkPlan, WebhookUseCases
from hookline.store import bulk_runs as runs_store
from hookline.store.db import Transaction

log = logging.getLogger(__name__)


class BulkRunUseCases(WebhookUseCases):
    def __init__(
        self,
        *,
        bulk_batch_size: int = BULK_BATCH,
        between_batches: Callable[[], Awaitable[None]] | None = None,
        **parts: Any,
    ) -> None:
        """`between_batches` is awaited after each committed batch of a background run (tests
        hold a run there, to see its progress part-way)."""
        super().__init__(**parts)
        self.bulk_batch_size = bulk_batch_size
        self._between_batches = between_batches
        self._runs: set[asyncio.Task[None]] = set()

    async def start_bulk(
        self, action: BulkAction, where: WebhookFilter, organization_id: str | None
    ) -> BulkRun:
        """`bulk_act`, recorded; in the background when it is more than one batch."""
        return await self._start(self._bulk_plan(action, where), action.value, organization_id, None)

    async def start_recovery(
        self,
        registration_id: str,
        organization_id: str | None,
        *,
        since: datetime,
        until: datetime | None,
        states: Sequence[WebhookState],
    ) -> BulkRun:
        """`recover`, recorded; in the background when it is more than one batch."""
        plan = await self._recovery_plan(registration_id, organization_id, since, until, states)
        return await self._start(plan, "recover", organization_id, registration_id)

    async def get_bulk_run(self, run_id: str, organization_id: str | None) -> BulkRun:
        async with self.db.read() as conn:
            found = await runs_store.get_run(conn, run_id, organization_id)
        if found is None:
            raise NotFound(f"no bulk action {run_id!r}")
        return found

    async def stop_bulk_runs(self) -> None:
        """Cancel the runs under way (each marks itself interrupted) and wait for them."""
        for task in self._runs:
            task.cancel()
        await asyncio.gather(*self._runs, return_exceptions=True)

    async def _start(
        self, plan: BulkPlan, action: str, organization_id: str | None, registration_id: str | None
    ) -> BulkRun:
        total = await self._in_batches(plan, dry_run=True)
        now = self.clock.now()
        run = BulkRun(
            new_id("blk"), organization_id, action, registration_id, total, 0, now, now, None, False
        )
        async with self.db.write() as conn:
            await runs_store.insert_run(conn, run)
        if total <= self.bulk_batch_size:
            await self._carry_out(plan, _Progress(run.id))
        else:
            task = asyncio.create_task(self._in_background(plan, _Progress(run.id, self._between_batches)))
            self._runs.add(task)
            task.add_done_callback(self._runs.discard)
        return await self.get_bulk_run(run.id, None)

    async def _in_background(self, plan: BulkPlan, progress: _Progress) -> None:
        try:
            await self._carry_out(plan, progress)
        except asyncio.CancelledError:
            log.info("bulk action %s interrupted by the stop; the batches done stay done", progress.run_id)
            raise
        except Exception:
            log.exception("bulk action %s stopped part-way; the batches done stay done", progress.run_id)

    async def _carry_out(self, plan: BulkPlan, progress: _Progress) -> None:
        """Raises what stopped it, after marking the run interrupted (if the database lets it:
        else it shows as interrupted once it has been silent for STALE_AFTER)."""
        try:
            await self._in_batches(plan, dry_run=False, progress=progress)
        except BaseException:
            with contextlib.suppress(Exception):
                await self._end(progress.run_id, finished=False)
            raise
        await self._end(progress.run_id, finished=True)

    async def _end(self, run_id: str, *, finished: bool) -> None:
        async with self.db.write() as conn:
            await runs_store.end(conn, run_id, self.clock.now(), finished=finished)


class _Progress:
    """Writes a run's progress with each batch (`BatchProgress`), then waits `between`."""

    def __init__(self, run_id: str, between: Callable[[], Awaitable[None]] | None = None) -> None:
        self.run_id = run_id
        self.between = between

    async def record(self, tx: Transaction, moved: int, now: datetime) -> None:
        await runs_store.advance(tx, self.run_id, moved, now)

    async def committed(self) -> None:
        if self.between is not None:
            await self.between()
