"""Builds and owns the concrete parts of one hookline process: the only place they are wired."""

from __future__ import annotations

import asyncio
import logging

from hookline.clock import Clock, SystemClock
from hookline.config import Settings
from hookline.crypto import SecretBox
from hookline.delivery.dispatch import Dispatcher
from hookline.delivery.guard import ResolverFactory, TargetGuard
from hookline.delivery.sender import Sender
from hookline.delivery.wakeup import PostgresListener, Wakeup
from hookline.delivery.worker import Worker, WorkerOptions
from hookline.domain.catalog import Catalog
from hookline.fanout import FanOut
from hookline.health import Health
from hookline.maintenance import Maintenance
from hookline.service import Hookline
from hookline.store.db import Database

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self, settings: Settings, clock: Clock | None = None, *, resolver: ResolverFactory | None = None
    ) -> None:
        """`resolver` replaces the system's name resolution (tests script what names answer)."""
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url)
        self.box = SecretBox.from_key_or_file(settings.secret_key, settings.secret_key_file)
        self.wakeup = Wakeup()
        guard = TargetGuard(settings.allowed_target_networks, resolver=resolver, transport=settings.transport)
        self.sender = Sender(
            timeout=settings.delivery_timeout,
            guard=guard,
            max_connections=settings.worker_concurrency,
        )
        dispatcher = Dispatcher(sender=self.sender, box=self.box, clock=self.clock)
        fanout = FanOut(self.db, attempt_limit=settings.retry_policy.max_attempts)
        self.health = Health(fanout)
        self.hookline = Hookline(
            db=self.db,
            clock=self.clock,
            box=self.box,
            catalog=Catalog(settings.entities),
            guard=guard,
            wakeup=self.wakeup,
            dispatcher=dispatcher,
            fanout=fanout,
            max_event_data_bytes=settings.max_event_data_bytes,
            admin_key=settings.admin_key,
        )
        self.worker = Worker(
            db=self.db,
            clock=self.clock,
            policy=settings.retry_policy,
            dispatcher=dispatcher,
            wakeup=self.wakeup,
            health=self.health,
            lease=settings.lease,
            options=WorkerOptions(
                concurrency=settings.worker_concurrency,
                per_registration=settings.per_registration_concurrency,
                stop_timeout_s=settings.graceful_stop_timeout.total_seconds(),
            ),
        )
        self.maintenance = Maintenance(
            db=self.db,
            clock=self.clock,
            health=self.health,
            disable_after_failing=settings.disable_after_failing,
            retention=settings.retention,
        )
        self._listener: PostgresListener | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._maintenance_task: asyncio.Task[None] | None = None

    async def start(self, *, run_worker: bool) -> None:
        """Migrate, open the HTTP client pool, start the maintenance job and, if asked, delivering."""
        await self.db.migrate()
        await self.sender.__aenter__()
        self._maintenance_task = asyncio.create_task(
            self.maintenance.run(self.settings.maintenance_interval, self._stopping),
            name="hookline-maintenance",
        )
        if run_worker:
            if not self.db.is_sqlite:
                self._listener = PostgresListener(self.settings.database_url, self.wakeup)
                self._listener.start()
            self._worker_task = asyncio.create_task(self.worker.run(), name="hookline-worker")

    async def stop(self) -> None:
        """Stop claiming, let in-flight attempts finish and be recorded (within the stop timeout;
        the rest is handed back), then close everything."""
        self._stopping.set()
        try:
            if self._worker_task is not None:
                self.worker.stop()
                await self._worker_task
            if self._maintenance_task is not None:
                await self._maintenance_task
        finally:
            if self._listener is not None:
                await self._listener.stop()
            await self.sender.__aexit__()
            await self.db.close()
