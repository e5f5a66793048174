"""Registrations: the filtered list, one registration's page, and its actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hookline.domain.errors import Conflict, InvalidInput, NotFound
from hookline.domain.records import Registration
from hookline.service import RegistrationChanges, RegistrationFilter, StatsWindow, WebhookFilter
from hookline.ui import session
from hookline.ui.forms import PAGE_SIZES, PageNumber, PageSize, accept_form
from hookline.ui.rendering import link, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, Viewer, hookline_of

REGISTRATION_DONE = {
    "deactivate": "Deactivated: it receives no new webhooks, and its unfinished ones were aborted.",
    "reactivate": "Reactivated: it receives new webhooks again, with a clean failure record.",
    "save": "Saved.",
    "pause": "Paused: new webhooks wait in Pending, nothing is sent until you resume.",
    "resume": "Resumed: the held webhooks are released in group order.",
}
"""What a successful action says; fixed texts so no query string is ever echoed."""

RECENT_WEBHOOKS = 20
BLOCKED_GROUPS_SHOWN = 20
TEST_BODY_SHOWN = 1024
"""How much of a test webhook's response body the page shows (it travels in a cookie)."""

router = ui_router()


def _active(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value in ("true", "false"):
        return value == "true"
    raise InvalidInput.one("active", "must be true or false")


@router.get("/ui/registrations")
async def registrations(
    request: Request,
    viewer: Signed,
    active: Annotated[str | None, Query(max_length=5)] = None,
    query: Annotated[str | None, Query(alias="q", max_length=200)] = None,
    entity_name: Annotated[str | None, Query(alias="entityName", max_length=200)] = None,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
    page_number: PageNumber = 1,
    page_size: PageSize = 50,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    service = hookline_of(request)
    query = (query or "").strip() or None
    params: dict[str, object] = {
        "q": query,
        "active": active or None,
        "entityName": entity_name or None,
        "organizationId": organization_id if viewer.is_admin else None,
        "pageSize": page_size,
    }
    found, error = None, None
    try:
        where = RegistrationFilter(is_active=_active(active), entity_name=entity_name or None, query=query)
        found = await service.search_registrations(
            viewer.reading_scope(organization_id), where, page_number, page_size
        )
    except InvalidInput as invalid:
        error = invalid.detail
    return render(
        request,
        "registrations.html",
        422 if error else 200,
        live=True,
        nav="registrations",
        page=found,
        params=params,
        error=error,
        message="Deleted: its unfinished webhooks were aborted." if done == "delete" else None,
        entities=service.catalog.names,
        page_sizes=PAGE_SIZES,
    )


@router.get("/ui/registrations/{registration_id}")
async def registration(
    request: Request,
    registration_id: str,
    viewer: Signed,
    done: Annotated[str | None, Query(max_length=20)] = None,
    window: Annotated[str, Query(max_length=5)] = StatsWindow.DAY.value,
) -> Response:
    found = await hookline_of(request).get_registration(registration_id, viewer.scope)
    shown = session.flashed(request, viewer.credentials) or {}
    secret = shown.get("secret")
    mine = shown.get("registration") == found.id
    return await registration_page(
        request,
        viewer,
        found,
        message=REGISTRATION_DONE.get(done or ""),
        tested=shown.get("tested") if mine else None,
        recovered=shown.get("recovered") if mine else None,
        secret=secret if isinstance(secret, dict) and secret.get("registration") == found.id else None,
        window=window_of(window),
    )


def window_of(value: str) -> StatsWindow:
    try:
        return StatsWindow.parse(value)
    except ValueError as error:
        raise InvalidInput.one("window", str(error)) from None


async def registration_page(
    request: Request,
    viewer: Viewer,
    found: Registration,
    *,
    status_code: int = 200,
    message: str | None = None,
    error: str | None = None,
    tested: dict[str, object] | None = None,
    secret: dict[str, object] | None = None,
    recovered: dict[str, object] | None = None,
    recovery: Mapping[str, object] | None = None,
    recovery_errors: dict[str, str] | None = None,
    window: StatsWindow = StatsWindow.DAY,
) -> Response:
    stats = await hookline_of(request).registration_stats(found.id, viewer.scope, window)
    blocked = await hookline_of(request).blocked_groups(found.id, viewer.scope, 1, BLOCKED_GROUPS_SHOWN)
    recent = await hookline_of(request).list_webhooks(
        WebhookFilter(organization_id=viewer.scope, registration_id=found.id), 1, RECENT_WEBHOOKS
    )
    return render(
        request,
        "registration.html",
        status_code,
        live=True,
        nav="registrations",
        registration=found,
        recent=recent,
        stats=stats,
        blocked=blocked,
        tested=tested,
        secret=secret,
        recovered=recovered,
        recovery=recovery or {"since": "", "until": "", "states": ["Failed"]},
        recovery_errors=recovery_errors or {},
        message=message,
        error=error,
    )


@router.post("/ui/registrations/{registration_id}/test")
async def send_test(request: Request, registration_id: str, viewer: Signed) -> Response:
    """Send a signed test webhook now; its answer is shown once on the registration's page."""
    await accept_form(request, viewer)
    tried = await hookline_of(request).test_registration(registration_id, viewer.scope)
    shown = RedirectResponse(page_of(registration_id), 303)
    session.flash(
        shown,
        request,
        viewer.credentials,
        registration=registration_id,
        tested={
            "succeeded": tried.succeeded,
            "status": tried.response_status,
            "durationMs": tried.duration_ms,
            "error": tried.error,
            "body": (tried.response_body or "")[:TEST_BODY_SHOWN],
        },
    )
    return shown


@router.post("/ui/registrations/{registration_id}/rotate-secret")
async def rotate_secret(request: Request, registration_id: str, viewer: Signed) -> Response:
    """A new signing key, shown once; the old one keeps signing alongside for 24 h."""
    await accept_form(request, viewer)
    rotated, secret = await hookline_of(request).rotate_secret(registration_id, viewer.scope)
    shown = RedirectResponse(page_of(registration_id), 303)
    flash_key(shown, request, viewer, rotated, secret, "rotated")
    return shown


def flash_key(
    response: Response, request: Request, viewer: Viewer, found: Registration, secret: str | None, why: str
) -> None:
    """Show the new key once on the registration's page: a v1 secret, or a v1a public key."""
    value = secret if secret is not None else found.signing_public_key
    session.flash(
        response,
        request,
        viewer.credentials,
        secret={"registration": found.id, "value": value, "why": why, "public": secret is None},
    )


@router.post("/ui/registrations/{registration_id}/delete")
async def delete_registration(request: Request, registration_id: str, viewer: Signed) -> Response:
    """Asks first (a page with one more "Delete" button), then deletes."""
    form = await accept_form(request, viewer)
    service = hookline_of(request)
    found = await service.get_registration(registration_id, viewer.scope)
    if form.get("confirmed") != "yes":
        return render(request, "registration_delete.html", nav="registrations", registration=found)
    await service.delete_registration(registration_id, viewer.scope)
    return RedirectResponse(link("/ui/registrations", {"done": "delete"}), 303)


@router.post("/ui/registrations/{registration_id}/{action}")
async def switch_active(request: Request, registration_id: str, action: str, viewer: Signed) -> Response:
    """Deactivate or reactivate, pause or resume; a refused change is shown as 409."""
    changes = {
        "deactivate": RegistrationChanges(is_active=False),
        "reactivate": RegistrationChanges(is_active=True),
        "pause": RegistrationChanges(is_paused=True),
        "resume": RegistrationChanges(is_paused=False),
    }.get(action)
    if changes is None:
        raise NotFound(f"no action {action!r}")
    await accept_form(request, viewer)
    service = hookline_of(request)
    try:
        await service.update_registration(registration_id, viewer.scope, changes, by=viewer.principal)
    except Conflict as conflict:
        found = await service.get_registration(registration_id, viewer.scope)
        return await registration_page(
            request, viewer, found, status_code=409, error=f"Not possible: {conflict.detail}."
        )
    return RedirectResponse(link(page_of(registration_id), {"done": action}), 303)


def page_of(registration_id: str) -> str:
    return f"/ui/registrations/{quote(registration_id, safe='')}"
