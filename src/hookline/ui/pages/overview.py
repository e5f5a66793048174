"""The overview: counts per state, the latest webhooks and the registrations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from hookline.service import RegistrationFilter, StatsWindow, WebhookFilter
from hookline.ui.pages.registrations import window_of
from hookline.ui.rendering import STATE_ORDER, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, hookline_of

RECENT = 10
FAILING_MOST = 5

router = ui_router()


@router.get("/ui")
async def overview(
    request: Request,
    viewer: Signed,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
    window: Annotated[str, Query(max_length=5)] = StatsWindow.DAY.value,
) -> Response:
    service = hookline_of(request)
    scope = viewer.reading_scope(organization_id)
    health = await service.overview_stats(scope, window_of(window), top=FAILING_MOST)
    by_state = await service.count_webhooks_by_state(scope)
    counts = [(state, by_state.get(state, 0)) for state in STATE_ORDER]
    latest = await service.list_webhooks(WebhookFilter(organization_id=scope), 1, RECENT)
    registrations = await service.search_registrations(scope, RegistrationFilter(), 1, RECENT)
    active = await service.search_registrations(scope, RegistrationFilter(is_active=True), 1, 1)
    inactive = await service.search_registrations(scope, RegistrationFilter(is_active=False), 1, 1)
    return render(
        request,
        "overview.html",
        live=True,
        nav="overview",
        organization_id=scope,
        counts=counts,
        total=sum(count for _, count in counts),
        latest=latest.items,
        registrations=registrations,
        active_count=active.total_count,
        inactive_count=inactive.total_count,
        health=health,
    )
