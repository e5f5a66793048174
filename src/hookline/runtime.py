"""Builds and owns the concrete parts of one hookline process: the only place they are wired."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from hookline.clock import Clock, SystemClock
from hookline.config import Settings
from hookline.delivery.delivery_store import DeliveryStore
from hookline.delivery.dispatch import Dispatcher
from hookline.delivery.guard import ResolverFactory, TargetGuard
from hookline.delivery.sender import Sender
from hookline.delivery.tls import TargetTls
from hookline.delivery.worker import Worker, WorkerOptions
from hookline.domain.catalog import Catalog
from hookline.maintenance import Maintenance
from hookline.metrics import RegistrationAttempts
from hookline.secret_key import secret_box_for, verify_secret_key
from hookline.service import Hookline
from hookline.service.fanout import FanOut
from hookline.service.health import Health
from hookline.store.db import Database
from hookline.store.wakeup import PostgresListener, Wakeup
from hookline.tracing import Tracing

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        wakeup: Wakeup | None = None,
        resolver: ResolverFactory | None = None,
        tracing: Tracing | None = None,
        between_batches: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """`wakeup` replaces the doorbell and `resolver` the system's name resolution (tests
        watch the one and script what names answer with the other); `tracing` replaces the one
        OTEL_* variables configure (tests trace into memory); `between_batches` is awaited
        between two batches of a background bulk action (tests hold one part-way)."""
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url, wakeup=wakeup)
        self.box = secret_box_for(settings)
        guard = TargetGuard(settings.allowed_target_networks, resolver=resolver, transport=settings.transport)
        self.sender = Sender(
            timeout=settings.delivery_timeout,
            guard=guard,
            max_connections=settings.worker_concurrency,
            proxy=settings.egress_proxy,
            tls=TargetTls(settings.target_ca_file.read_text() if settings.target_ca_file else None),
        )
        self.tracing = tracing or Tracing.from_environment()
        self.dispatcher = Dispatcher(sender=self.sender, box=self.box, clock=self.clock, tracing=self.tracing)
        fanout = FanOut(self.db, attempt_limit=settings.retry_policy.max_attempts)
        self.health = Health(fanout, resume_rate_per_s=settings.resume_rate_per_s)
        self.hookline = Hookline(
            db=self.db,
            clock=self.clock,
            box=self.box,
            catalog=Catalog(settings.entities),
            guard=guard,
            probe_sender=self.dispatcher,
            fanout=fanout,
            health=self.health,
            max_event_data_bytes=settings.max_event_data_bytes,
            admin_key=settings.admin_key,
            tracing=self.tracing,
            bulk_batch_size=settings.bulk_batch_size,
            between_batches=between_batches,
        )
        self.worker = Worker(
            store=DeliveryStore(self.db, self.health),
            clock=self.clock,
            policy=settings.retry_policy,
            dispatcher=self.dispatcher,
            wakeup=self.db.wakeup,
            lease=settings.lease,
            options=WorkerOptions(
                concurrency=settings.worker_concurrency,
                per_registration=settings.per_registration_concurrency,
                stop_timeout_s=settings.graceful_stop_timeout.total_seconds(),
            ),
            registration_attempts=RegistrationAttempts(settings.registration_metrics_limit),
        )
        self.maintenance = Maintenance(
            db=self.db,
            clock=self.clock,
            health=self.health,
            disable_after_failing=settings.disable_after_failing,
            max_pause=settings.max_pause,
            retention=settings.retention,
        )
        self._listener: PostgresListener | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._maintenance_task: asyncio.Task[None] | None = None

    async def start(self, *, run_worker: bool) -> None:
        """Migrate, prove the secret key against the database (ConfigError naming
        HOOKLINE_SECRET_KEY if it is another key), open the HTTP client pool, start the
        maintenance job and, if asked, delivering."""
        await self.db.migrate()
        await verify_secret_key(self.db, self.box, self.clock.now())
        await self.maintenance.show_backlog()  # right from the start, not a maintenance interval later
        await self.sender.__aenter__()
        self._maintenance_task = asyncio.create_task(
            self.maintenance.run(self.settings.maintenance_interval, self._stopping),
            name="hookline-maintenance",
        )
        if run_worker:
            if not self.db.is_sqlite:
                self._listener = self.db.listener()
                self._listener.start()
            self._worker_task = asyncio.create_task(self.worker.run(), name="hookline-worker")

    async def stop(self) -> None:
        """Stop claiming, let in-flight attempts finish and be recorded (within the stop timeout;
        the rest is handed back), then close everything."""
        self._stopping.set()
        try:
            await self.hookline.stop_bulk_runs()
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
            await asyncio.to_thread(self.tracing.shutdown)  # exports what is buffered; may block
