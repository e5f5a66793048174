"""/api/stats: the overview's figures, for the key's organization (admins: every one, or one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from hookline.api.auth import Service, Subscriber, reading_scope
from hookline.api.json_body import json_router
from hookline.api.schemas import OverviewStatsOut
from hookline.domain.stats import StatsWindow

router = json_router(prefix="/api/stats", tags=["stats"])


@router.get("", response_model=OverviewStatsOut)
async def overview_stats(
    caller: Subscriber,
    service: Service,
    window: Annotated[
        StatsWindow, Query(description="24h or 7d of whole hours, ending with the current one")
    ] = (StatsWindow.DAY),
    top: Annotated[int, Query(ge=1, le=50, description="How many failing registrations to list")] = 5,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
) -> OverviewStatsOut:
    """Attempts per hour, the backlog, and the registrations that failed most in the window."""
    found = await service.overview_stats(reading_scope(caller, organization_id), window, top=top)
    return OverviewStatsOut.of(found)
