"""Liveness, readiness and Prometheus metrics; no authentication."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hookline.api.auth import Service
from hookline.api.json_body import json_router

router = json_router(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(service: Service) -> dict[str, str]:
    """Ready when the database answers; a failure becomes 503 problem+json."""
    await service.db.ping()
    return {"status": "ready"}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics() -> Response:
    """Prometheus text exposition format."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
