"""'Recover failed since ...' on a registration's page: count first (a dry run), then, once
confirmed, one more attempt for each matching Webhook, spread so the target is not flooded;
more than one batch goes on in the background, followed on its own page (bulk_runs.py)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hookline.domain.enums import WebhookState
from hookline.domain.errors import FieldError, InvalidInput
from hookline.service import RECOVER_RATE_PER_S
from hookline.ui import session
from hookline.ui.forms import Form, accept_form
from hookline.ui.moments import read_moment
from hookline.ui.pages.bulk_runs import run_page
from hookline.ui.pages.registrations import page_of, registration_page
from hookline.ui.rendering import render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, hookline_of

RECOVERABLE = (WebhookState.FAILED, WebhookState.ABORTED)

router = ui_router()


def _read(form: Form) -> tuple[datetime, datetime | None, list[WebhookState]]:
    """The recovery asked for; InvalidInput naming the form's fields otherwise."""
    problems: list[tuple[str, str]] = []
    since = until = None
    try:
        since = read_moment(form.text("since"))
    except ValueError as error:
        problems.append(("since", str(error)))
    if form.text("until"):
        try:
            until = read_moment(form.text("until"))
        except ValueError as error:
            problems.append(("until", str(error)))
    states = [state for state in RECOVERABLE if state.label in form.all("state")]
    if not states:
        problems.append(("state", "choose at least one state"))
    if problems or since is None:
        raise InvalidInput([FieldError(name, message) for name, message in problems])
    return since, until, states


@router.post("/ui/registrations/{registration_id}/recover")
async def recover(request: Request, registration_id: str, viewer: Signed) -> Response:
    form = await accept_form(request, viewer)
    service = hookline_of(request)
    found = await service.get_registration(registration_id, viewer.scope)
    values = {"since": form.text("since"), "until": form.text("until"), "states": form.all("state")}
    confirmed = form.get("confirmed") == "yes"
    try:
        since, until, states = _read(form)
        if confirmed:
            run = await service.start_recovery(
                registration_id, viewer.scope, since=since, until=until, states=states
            )
            count = run.done
        else:
            count = await service.recover(
                registration_id, viewer.scope, since=since, until=until, states=states, dry_run=True
            )
    except InvalidInput as invalid:
        return await registration_page(
            request,
            viewer,
            found,
            status_code=422,
            recovery=values,
            recovery_errors={e.field: e.message[:1].upper() + e.message[1:] + "." for e in invalid.errors},
            error="Nothing was recovered: see the messages next to the fields.",
        )
    if not confirmed:
        return render(
            request,
            "recover_confirm.html",
            nav="registrations",
            registration=found,
            count=count,
            values=values,
            states=states,
        )
    if run.finished_at is None:  # more than one batch: it goes on in the background
        return RedirectResponse(run_page(run), 303)
    shown = RedirectResponse(page_of(registration_id), 303)
    session.flash(
        shown,
        request,
        viewer.credentials,
        registration=registration_id,
        recovered={"count": count, "seconds": round(count / RECOVER_RATE_PER_S, 1)},
    )
    return shown
