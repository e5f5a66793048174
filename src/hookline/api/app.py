"""The FastAPI app factory: API routers, the overview UI, problem+json errors, lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hookline import __version__
from hookline.api.access import AccessGuard, Admission
from hookline.api.characters import RefuseNul
from hookline.api.docs import install_docs
from hookline.api.limits import BodyLimit
from hookline.api.openapi import install_openapi
from hookline.api.problems import install_problem_handlers
from hookline.api.ratelimit import RateLimiter
from hookline.api.routers import api_keys, entities, events, health, registrations, stats, webhooks
from hookline.runtime import Runtime
from hookline.ui.pages import router as ui_router

BODY_OVERHEAD_BYTES = 64 * 1024
"""Room for an event's envelope on top of its largest allowed `data`."""
UNKNOWN_KEY_BURST_S = 10
"""An address may bring this many seconds' worth of unknown keys at once (typos, a rotation)."""


def create_app(runtime: Runtime, *, run_worker: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start(run_worker=run_worker)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="hookline",
        version=__version__,
        summary="Durable, signed, retrying webhooks for a host platform's domain events.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # hookline makes its own spans (tracing.py) and metrics (/metrics); FastAPI's would come
        # from global OpenTelemetry providers, and checking for them costs each request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.hookline = runtime.hookline
    app.state.runtime = runtime
    settings = runtime.settings
    admission = Admission(
        runtime.hookline,
        per_key=RateLimiter(settings.rate_limit_per_s, runtime.clock),
        per_address=RateLimiter(
            settings.unknown_key_rate_limit_per_s, runtime.clock, burst_s=UNKNOWN_KEY_BURST_S, what="address"
        ),
        throttle_delay_s=settings.throttle_delay.total_seconds(),
    )
    app.state.admission = admission
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_event_data_bytes * 2 + BODY_OVERHEAD_BYTES)
    app.add_middleware(RefuseNul)
    app.add_middleware(AccessGuard, admission=admission)  # outermost: refusals cost the least
    # Routes are matched in order, each candidate costing a regex and FastAPI's scope bookkeeping:
    # publishing, the hot path, comes first (about a tenth of the API's CPU per publish).
    for module in (events, api_keys, registrations, webhooks, stats, entities, health):
        app.include_router(module.router)
    app.include_router(ui_router)
    install_docs(app)
    install_openapi(app, runtime.hookline.catalog)
    return app
