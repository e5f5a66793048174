"""A long bulk action's page: how far it got, updated by the live updates while it runs, and
how it ended. It shows only what the progress record says was committed."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from hookline.domain.bulk_runs import BulkRun
from hookline.ui.pages.registrations import page_of
from hookline.ui.rendering import render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, hookline_of

router = ui_router()


def run_page(run: BulkRun) -> str:
    return f"/ui/bulk-runs/{run.id}"


@router.get("/ui/bulk-runs/{run_id}")
async def bulk_run(request: Request, run_id: str, viewer: Signed) -> Response:
    service = hookline_of(request)
    run = await service.get_bulk_run(run_id, viewer.scope)
    status = run.status(service.clock.now())
    return render(
        request,
        "bulk_run.html",
        live=status == "running",
        nav="registrations" if run.registration_id else "webhooks",
        run=run,
        status=status,
        back=page_of(run.registration_id) if run.registration_id else "/ui/webhooks",
    )
