"""The periodic maintenance job: backlog gauges, expiry, pausing long-failing registrations,
deactivating those paused too long, retention, expired UI sessions, old bulk-run records.

It runs inside every `serve` and `worker` process, so it must be safe when several run at
once: a pause or deactivation is a guarded update (exactly one process changes and announces a
registration), and purges delete small batches that concurrent jobs skip past, so no
transaction is long and no lock is held for long.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hookline.clock import Clock
from hookline.domain.bulk_runs import KEPT_FOR
from hookline.domain.errors import DatabaseUnavailable
from hookline.metrics import show_backlog
from hookline.service.health import Health
from hookline.store import bulk_runs as bulk_runs_store
from hookline.store import events as events_store
from hookline.store import registrations as reg_store
from hookline.store import ui_sessions as sessions_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Connection, Database, Transaction

log = logging.getLogger(__name__)

BATCH_SIZE = 500
CERTIFICATE_WARNING = timedelta(days=14)
"""How long before a client certificate expires its registration's owner hears of it."""

Find = Callable[[Connection], Awaitable[list[tuple[str, datetime]]]]
"""Registrations to pause or deactivate, each with the moment its reason names."""
Change = Callable[[Transaction, str, str, datetime], Awaitable[bool]]
"""Pauses or deactivates one registration (with a reason); True if this call did it."""
Purge = Callable[[Connection, datetime, int], Awaitable[int]]
"""Deletes up to a batch of rows older than a cutoff; answers how many."""


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    expired: int = 0
    failing: int = 0
    """Registrations paused because every attempt failed for HOOKLINE_DISABLE_AFTER_FAILING."""
    paused_too_long: int = 0
    """Registrations deactivated because they were paused longer than HOOKLINE_MAX_PAUSE."""
    purged_webhooks: int = 0
    purged_events: int = 0
    purged_registrations: int = 0
    purged_sessions: int = 0
    purged_bulk_runs: int = 0
    """Progress records of bulk actions that last advanced more than bulk_runs.KEPT_FOR ago."""
    expiring_certificates: int = 0
    """Registrations whose client certificate expires within CERTIFICATE_WARNING, announced."""


class Maintenance:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        health: Health,
        disable_after_failing: timedelta,
        max_pause: timedelta,
        retention: timedelta,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._db = db
        self._clock = clock
        self._health = health
        self._disable_after_failing = disable_after_failing
        self._max_pause = max_pause
        self._retention = retention
        self._batch_size = batch_size

    async def run(self, interval: timedelta, stopping: asyncio.Event) -> None:
        """Run once per `interval` until `stopping` is set; a failed run is logged and retried."""
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), interval.total_seconds())
                return
            except TimeoutError:
                pass
            try:
                report = await self.run_once()
            except Exception as error:
                if isinstance(
                    error, DatabaseUnavailable
                ):  # a restarting database: one line, not a traceback a minute
                    log.warning("maintenance skipped: database unavailable; trying again in %s", interval)
                else:
                    log.exception("maintenance failed; trying again in %s", interval)
                continue
            if report != MaintenanceReport():
                log.info("maintenance: %s", report)

    async def show_backlog(self) -> None:
        """Set the backlog and lag gauges from the database, so every process, however many
        run, exposes the same database-wide figures (first, so a slow purge never delays them)."""
        now = self._clock.now()
        async with self._db.read() as conn:
            found = await webhooks_store.backlog(conn, now)
        show_backlog(found.counts, found.oldest_due_at, now)

    async def run_once(self) -> MaintenanceReport:
        await self.show_backlog()
        now = self._clock.now()
        deactivate = self._health.deactivate
        expired = await self._change_each(
            lambda conn: reg_store.active_past(conn, "expires_at", now, self._batch_size),
            lambda expires_at: f"expired at {_iso(expires_at)}",
            deactivate,
            now,
        )
        paused_too_long = 0
        if self._max_pause:
            paused_too_long = await self._change_each(
                lambda conn: reg_store.active_past(
                    conn, "paused_at", now - self._max_pause, self._batch_size
                ),
                lambda since: f"paused for longer than {_span(self._max_pause)} (paused at {_iso(since)})",
                deactivate,
                now,
            )
        failing = 0
        if self._disable_after_failing:
            failing = await self._change_each(
                lambda conn: reg_store.active_past(
                    conn, "failing_since", now - self._disable_after_failing, self._batch_size
                ),
                lambda since: (
                    f"every delivery attempt failed for {_span(self._disable_after_failing)} "
                    f"(failing since {_iso(since)})"
                ),
                self._health.pause,
                now,
            )
        purged = [0, 0, 0]
        if self._retention:
            cutoff = now - self._retention
            purges = (webhooks_store.purge_ended, events_store.purge_orphaned_events, reg_store.purge_deleted)
            purged = [
                await self._purge(purge, cutoff) for purge in purges
            ]  # Webhooks first: they refer to the rest
        sessions = await self._purge(sessions_store.purge_expired, now)
        bulk_runs = await self._purge(bulk_runs_store.purge_stale, now - KEPT_FOR)
        expiring = await self._change_each(
            lambda conn: reg_store.certificates_expiring(conn, now + CERTIFICATE_WARNING, self._batch_size),
            lambda not_after: f"its client certificate expires at {_iso(not_after)}",
            self._health.warn_certificate_expiry,
            now,
        )
        webhooks, events, registrations = purged
        return MaintenanceReport(
            expired, failing, paused_too_long, webhooks, events, registrations, sessions, bulk_runs, expiring
        )

    async def _change_each(
        self, find: Find, reason_for: Callable[[datetime], str], change: Change, now: datetime
    ) -> int:
        """Pause or deactivate every registration `find` names, each in its own short transaction."""
        changed = 0
        while True:
            async with self._db.read() as conn:
                found = await find(conn)
            for registration_id, when in found:
                async with self._db.write() as conn:
                    if await change(conn, registration_id, reason_for(when), now):
                        changed += 1
            if len(found) < self._batch_size:
                return changed

    async def _purge(self, purge: Purge, cutoff: datetime) -> int:
        """Purge in batches of `batch_size`, one transaction each, until a batch comes back short."""
        purged = 0
        while True:
            async with self._db.write() as conn:
                count = await purge(conn, cutoff, self._batch_size)
            purged += count
            if count < self._batch_size:
                return purged


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(span: timedelta) -> str:
    """`5 days`, `36 hours`, `90 minutes`: how a person would say a setting's value."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{span.total_seconds():g} seconds"
