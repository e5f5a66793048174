"""Acting on many: retry, resolve or abort every Webhook a filter matches, after a dry-run count
and a confirmation that says how many; more than one batch goes on in the background, followed
on its own page (bulk_runs.py)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hookline.domain.states import BulkAction
from hookline.service import RECOVER_RATE_PER_S
from hookline.ui import session
from hookline.ui.forms import accept_form
from hookline.ui.pages.bulk_runs import run_page
from hookline.ui.pages.webhooks import FILTER_FIELDS, read_filter
from hookline.ui.rendering import error_page, link, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, hookline_of

VERBS = {BulkAction.RETRY: "Retrying", BulkAction.RESOLVE: "Resolved", BulkAction.ABORT: "Aborted"}

router = ui_router()


@router.post("/ui/webhooks/bulk")
async def bulk(request: Request, viewer: Signed) -> Response:
    form = await accept_form(request, viewer)
    try:
        action = BulkAction(form.text("action"))
    except ValueError:
        return error_page(request, 422, "Invalid input", "choose retry, resolve or abort")
    chosen = read_filter(viewer, {name: form.text(name) for name in FILTER_FIELDS})
    back = link("/ui/webhooks", chosen.params)
    if chosen.where is None:
        return error_page(request, 422, "Invalid input", chosen.error or "the filter is invalid")
    service = hookline_of(request)
    if form.get("confirmed") == "yes":
        run = await service.start_bulk(action, chosen.where, viewer.scope)
        if run.finished_at is None:  # more than one batch: it goes on in the background
            return RedirectResponse(run_page(run), 303)
        shown = RedirectResponse(back, 303)
        seconds = round(run.done / RECOVER_RATE_PER_S, 1) if action is BulkAction.RETRY else 0
        bulked = {"verb": VERBS[action], "count": run.done, "seconds": seconds}
        session.flash(shown, request, viewer.credentials, bulked=bulked)
        return shown
    count = await service.bulk_act(action, chosen.where, dry_run=True)
    return render(
        request,
        "bulk_confirm.html",
        nav="webhooks",
        action=action,
        count=count,
        params=chosen.params,
        back=back,
    )
