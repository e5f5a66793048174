"""API keys: create one (shown once, with a copy button), list them, revoke one.

Admins manage every key; an organization's owner manages its own organization's owner,
publisher and subscriber keys (the service enforces the same).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hookline.domain.enums import Role
from hookline.domain.errors import Forbidden
from hookline.ui import session
from hookline.ui.forms import MAX_NAME_LENGTH, PageNumber, accept_form, too_long
from hookline.ui.rendering import link, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, Viewer, hookline_of

PAGE_SIZE = 50

router = ui_router()


def _manager(viewer: Viewer) -> str | None:
    """The organization whose keys the viewer manages (None: every one, for admins)."""
    if viewer.principal.role is Role.ADMIN:
        return None
    if viewer.principal.role is Role.OWNER and viewer.scope is not None:
        return viewer.scope
    raise Forbidden("only admin and owner keys manage API keys")


def _roles(scope: str | None) -> tuple[Role, ...]:
    return tuple(Role) if scope is None else tuple(role for role in Role if role.grantable_by_owner)


async def _page(
    request: Request,
    viewer: Viewer,
    page_number: int,
    *,
    status_code: int = 200,
    message: str | None = None,
    created: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    scope = _manager(viewer)
    keys = await hookline_of(request).list_api_keys(page_number, PAGE_SIZE, scope)
    return render(
        request,
        "api_keys.html",
        status_code,
        nav="api-keys",
        keys=keys,
        roles=_roles(scope),
        own_organization=scope,
        created=created,
        values=values or {"role": Role.SUBSCRIBER.name.lower()},
        errors=errors or {},
        message=message,
        error="The key was not created: see the fields below." if errors else None,
    )


@router.get("/ui/api-keys")
async def api_keys(
    request: Request,
    viewer: Signed,
    page_number: PageNumber = 1,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    _manager(viewer)
    shown = session.flashed(request, viewer.credentials) or {}
    created = shown.get("apiKey")
    return await _page(
        request,
        viewer,
        page_number,
        created=created if isinstance(created, dict) else None,
        message="Revoked: the key no longer works." if done == "revoke" else None,
    )


@router.post("/ui/api-keys")
async def create_api_key(request: Request, viewer: Signed) -> Response:
    scope = _manager(viewer)
    form = await accept_form(request, viewer)
    values = {
        "organizationId": scope or form.text("organizationId"),
        "role": form.text("role"),
        "name": form.text("name"),
    }
    errors: dict[str, str] = {}
    if not values["organizationId"]:
        errors["organizationId"] = "Enter the organization the key belongs to."
    elif message := too_long(values["organizationId"], MAX_NAME_LENGTH):
        errors["organizationId"] = f"The organization {message}."
    if message := too_long(values["name"], MAX_NAME_LENGTH):
        errors["name"] = f"The name {message}."
    role = next((r for r in _roles(scope) if r.name.lower() == values["role"]), None)
    if role is None:
        errors["role"] = "Choose a role."
    if errors or role is None:
        return await _page(request, viewer, 1, status_code=422, values=values, errors=errors)
    record, key = await hookline_of(request).create_api_key(
        values["organizationId"], role, values["name"] or None, by_owner=scope is not None
    )
    shown = RedirectResponse("/ui/api-keys", 303)
    session.flash(
        shown, request, viewer.credentials, apiKey={"id": record.id, "name": record.name, "key": key}
    )
    return shown


@router.post("/ui/api-keys/{key_id}/revoke")
async def revoke_api_key(request: Request, key_id: str, viewer: Signed) -> Response:
    scope = _manager(viewer)
    await accept_form(request, viewer)
    await hookline_of(request).revoke_api_key(key_id, scope)
    return RedirectResponse(link("/ui/api-keys", {"done": "revoke"}), 303)
