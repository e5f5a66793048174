"""Webhooks: the filtered list, one webhook's page with its attempts, and abort/resolve/retry."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hookline.domain.enums import WebhookState
from hookline.domain.errors import Conflict, InvalidInput, NotFound
from hookline.domain.records import Registration, Webhook, WebhookFilter
from hookline.domain.states import ENDED, can_transition
from hookline.service import RegistrationFilter
from hookline.ui.forms import PAGE_SIZES, PageNumber, PageSize, accept_form
from hookline.ui.rendering import link, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, Viewer, hookline_of

ATTEMPTS_PAGE_SIZE = 100
REGISTRATION_CHOICES = 500
"""Registrations offered by URL in the filter; a registration's own page links to the rest."""

DONE = {
    "abort": "Aborted: no further attempts will be made.",
    "resolve": "Resolved: marked as handled by hand.",
    "retry": "Retry requested: one more attempt is queued now.",
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


def _state(value: str | None) -> WebhookState | None:
    if not value:
        return None
    try:
        return WebhookState.parse(value)
    except ValueError as error:
        raise InvalidInput.one("state", str(error)) from None


@router.get("/ui/webhooks")
async def webhooks(
    request: Request,
    viewer: Signed,
    state: Annotated[str | None, Query(max_length=40)] = None,
    registration_id: Annotated[str | None, Query(alias="registrationId", max_length=200)] = None,
    entity_name: Annotated[str | None, Query(alias="entityName", max_length=200)] = None,
    entity_id: Annotated[str | None, Query(alias="entityId", max_length=200)] = None,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
    page_number: PageNumber = 1,
    page_size: PageSize = 50,
) -> Response:
    service = hookline_of(request)
    registration_id = (registration_id or "").strip() or None
    entity_id = (entity_id or "").strip() or None
    params: dict[str, object] = {
        "state": state or None,
        "registrationId": registration_id,
        "entityName": entity_name or None,
        "entityId": entity_id,
        "organizationId": organization_id if viewer.is_admin else None,
        "pageSize": page_size,
    }
    found, error, selected = None, None, None
    try:
        selected = _state(state)
        where = WebhookFilter(
            organization_id=viewer.reading_scope(organization_id),
            registration_id=registration_id,
            state=selected,
            entity_name=entity_name or None,
            entity_id=entity_id,
        )
        found = await service.list_webhooks(where, page_number, page_size)
    except InvalidInput as invalid:
        error = invalid.detail
    choices = await service.search_registrations(
        viewer.reading_scope(organization_id), RegistrationFilter(), 1, REGISTRATION_CHOICES
    )
    return render(
        request,
        "webhooks.html",
        422 if error else 200,
        live=True,
        nav="webhooks",
        page=found,
        params=params,
        selected_state=selected,
        error=error,
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
    attempts = await service.list_attempts(webhook.id, viewer.scope, attempts_page, ATTEMPTS_PAGE_SIZE)
    try:
        owner = await service.get_registration(webhook.registration_id, viewer.scope)
    except NotFound:  # deleted since; its webhooks stay readable
        owner = None
    return render(
        request,
        "webhook.html",
        status_code,
        live=True,
        nav="webhooks",
        webhook=webhook,
        attempts=attempts,
        registration=owner,
        actions=allowed_actions(webhook, owner),
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
    """Abort, resolve or retry from a form; a refused transition is shown on the page as 409."""
    service = hookline_of(request)
    actions = {"abort": service.abort, "resolve": service.resolve, "retry": service.retry}
    perform = actions.get(action)
    if perform is None:
        raise NotFound(f"no action {action!r}")
    await accept_form(request, viewer)
    try:
        await perform(webhook_id, viewer.scope)
    except Conflict as conflict:
        current = await service.get_webhook(webhook_id, viewer.scope)
        return await _webhook_page(
            request, viewer, current, status_code=409, error=f"Not possible: {conflict.detail}."
        )
    return RedirectResponse(link(f"/ui/webhooks/{quote(webhook_id, safe='')}", {"done": action}), 303)
