"""Webhooks: the filtered list, one webhook's page with its attempts, and abort/resolve/retry."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.errors import Conflict, InvalidInput, NotFound
from hookline.domain.records import Registration, Webhook
from hookline.domain.states import ENDED, can_transition
from hookline.service import RegistrationFilter, WebhookFilter
from hookline.ui import session
from hookline.ui.forms import PAGE_SIZES, PageNumber, PageSize, accept_form
from hookline.ui.moments import read_moment
from hookline.ui.rendering import link, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, Viewer, hookline_of

ATTEMPTS_PAGE_SIZE = 100
MAX_FILTER_VALUE = 200
REGISTRATION_CHOICES = 500
"""Registrations offered by URL in the filter; a registration's own page links to the rest."""

DONE = {
    "abort": "Aborted: no further attempts will be made.",
    "resolve": "Resolved: marked as handled by hand.",
    "retry": "Retry requested: one more attempt is queued now.",
    "blocker-abort": "The webhook that held this group back was aborted: the group moves on.",
    "blocker-resolve": "The webhook that held this group back was resolved: the group moves on.",
    "blocker-retry": "The webhook that held this group back gets one more attempt now; the group follows it.",
}
"""What a successful action says; fixed texts so no query string is ever echoed."""

RETRYABLE = ENDED | {WebhookState.RETRYING}
"""Retry offers one more attempt now: to an ended Webhook, or to one waiting for its next try.
Not to a Created one (already due) nor to a Pending one (that would break its group's order)."""

router = ui_router()


def _delivering(registration: Registration | None) -> bool:
    """Whether a retry by hand may go out: its registration exists, is active and not paused."""
    return registration is not None and registration.is_active and not registration.is_paused


def allowed_actions(webhook: Webhook, registration: Registration | None) -> list[str]:
    """The buttons a Webhook's page shows: only the actions its state allows."""
    actions = []
    if webhook.state in RETRYABLE and _delivering(registration):
        actions.append("retry")
    if can_transition(webhook.state, WebhookState.RESOLVED):
        actions.append("resolve")
    if can_transition(webhook.state, WebhookState.ABORTED):
        actions.append("abort")
    return actions


FILTER_FIELDS = (
    "state",
    "registrationId",
    "entityName",
    "entityId",
    "type",
    "createdAfter",
    "createdBefore",
    "order",
    "organizationId",
)
"""The webhooks filter, the same in the list's query string and in the bulk action's form."""


@dataclass(frozen=True, slots=True)
class Chosen:
    """A webhooks filter as asked for: the values to show again, and the filter they make."""

    params: dict[str, object]
    where: WebhookFilter | None
    oldest_first: bool
    state: WebhookState | None
    error: str | None


def read_filter(viewer: Viewer, asked: Mapping[str, str]) -> Chosen:
    """The filter from the list's query (or the bulk form); what cannot be read is `error`."""
    values = {name: (asked.get(name) or "").strip()[:MAX_FILTER_VALUE] for name in FILTER_FIELDS}
    if not viewer.is_admin:
        values["organizationId"] = ""
    params: dict[str, object] = {name: value or None for name, value in values.items()}
    state = None
    try:
        state = WebhookState.parse(values["state"]) if values["state"] else None
        kind = WebhookEventType.parse(values["type"]) if values["type"] else None
        where = WebhookFilter(
            organization_id=viewer.reading_scope(values["organizationId"]),
            registration_id=values["registrationId"] or None,
            state=state,
            entity_name=values["entityName"] or None,
            entity_id=values["entityId"] or None,
            type=kind,
            created_after=_moment(values["createdAfter"], "createdAfter"),
            created_before=_moment(values["createdBefore"], "createdBefore"),
        )
    except InvalidInput as invalid:
        return Chosen(params, None, False, state, invalid.detail)
    except ValueError as error:
        name = "state" if values["state"] and state is None else "type"
        return Chosen(params, None, False, state, f"{name}: {error}")
    return Chosen(params, where, values["order"] == "oldest", state, None)


def _moment(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return read_moment(value)
    except ValueError as error:
        raise InvalidInput.one(name, str(error)) from None


@router.get("/ui/webhooks")
async def webhooks(
    request: Request, viewer: Signed, page_number: PageNumber = 1, page_size: PageSize = 50
) -> Response:
    service = hookline_of(request)
    chosen = read_filter(viewer, request.query_params)
    params = {**chosen.params, "pageSize": page_size}
    found, error = None, chosen.error
    if chosen.where is not None:
        try:
            found = await service.list_webhooks(
                chosen.where, page_number, page_size, oldest_first=chosen.oldest_first
            )
        except InvalidInput as invalid:
            error = invalid.detail
    shown = session.flashed(request, viewer.credentials) or {}
    choices = await service.search_registrations(
        chosen.where.organization_id if chosen.where else viewer.scope,
        RegistrationFilter(),
        1,
        REGISTRATION_CHOICES,
    )
    return render(
        request,
        "webhooks.html",
        422 if error else 200,
        live=True,
        nav="webhooks",
        page=found,
        params=params,
        selected_state=chosen.state,
        error=error,
        bulked=shown.get("bulked"),
        types=tuple(WebhookEventType),
        entities=service.catalog.names,
        registrations=choices.items,
        page_sizes=PAGE_SIZES,
    )


async def _webhook_page(
    request: Request,
    viewer: Viewer,
    webhook: Webhook,
    attempts_page: int = 1,
    *,
    status_code: int = 200,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    service = hookline_of(request)
    detail = await service.get_webhook_detail(webhook.id, viewer.scope)
    webhook = detail.webhook
    attempts = await service.list_attempts(webhook.id, viewer.scope, attempts_page, ATTEMPTS_PAGE_SIZE)
    try:
        owner = await service.get_registration(webhook.registration_id, viewer.scope)
    except NotFound:  # deleted since; its webhooks stay readable
        owner = None
    blocker = detail.blocked_by
    return render(
        request,
        "webhook.html",
        status_code,
        live=True,
        nav="webhooks",
        webhook=webhook,
        payload=json.dumps(detail.payload, indent=2, ensure_ascii=False),
        attempts=attempts,
        registration=owner,
        actions=allowed_actions(webhook, owner),
        blocker=blocker,
        blocker_actions=allowed_actions(blocker, owner) if blocker else [],
        retry_blocked=webhook.state in RETRYABLE and not _delivering(owner),
        message=message,
        error=error,
    )


@router.get("/ui/webhooks/{webhook_id}")
async def webhook(
    request: Request,
    webhook_id: str,
    viewer: Signed,
    done: Annotated[str | None, Query(max_length=20)] = None,
    attempts_page: Annotated[int, Query(alias="attemptsPage", ge=1, le=1_000_000)] = 1,
) -> Response:
    found = await hookline_of(request).get_webhook(webhook_id, viewer.scope)
    return await _webhook_page(request, viewer, found, attempts_page, message=DONE.get(done or ""))


@router.post("/ui/webhooks/{webhook_id}/{action}")
async def act(request: Request, webhook_id: str, action: str, viewer: Signed) -> Response:
    """Abort, resolve or retry from a form; a refused transition is shown on the page as 409.

    From a Pending Webhook's page the form acts on the Webhook holding its group back and names
    the Pending one as `back`, where the answer then goes.
    """
    service = hookline_of(request)
    actions = {"abort": service.abort, "resolve": service.resolve, "retry": service.retry}
    perform = actions.get(action)
    if perform is None:
        raise NotFound(f"no action {action!r}")
    form = await accept_form(request, viewer)
    back = form.text("back") or None
    shown_id = back or webhook_id
    try:
        await perform(webhook_id, viewer.scope)
    except Conflict as conflict:
        current = await service.get_webhook(shown_id, viewer.scope)
        return await _webhook_page(
            request, viewer, current, status_code=409, error=f"Not possible: {conflict.detail}."
        )
    done = action if back is None else f"blocker-{action}"
    return RedirectResponse(link(f"/ui/webhooks/{quote(shown_id, safe='')}", {"done": done}), 303)
