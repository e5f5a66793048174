"""API keys (admins only): create one (shown once, with a copy button), list them, revoke one."""

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
ROLES = tuple(Role)

router = ui_router()


def _admin(viewer: Viewer) -> None:
    if viewer.principal.role is not Role.ADMIN:
        raise Forbidden("only admin keys manage API keys")


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
    keys = await hookline_of(request).list_api_keys(page_number, PAGE_SIZE)
    return render(
        request,
        "api_keys.html",
        status_code,
        nav="api-keys",
        keys=keys,
        roles=ROLES,
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
    _admin(viewer)
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
    _admin(viewer)
    form = await accept_form(request, viewer)
    values = {
        "organizationId": form.text("organizationId"),
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
    role = next((r for r in ROLES if r.name.lower() == values["role"]), None)
    if role is None:
        errors["role"] = "Choose a role."
    if errors or role is None:
        return await _page(request, viewer, 1, status_code=422, values=values, errors=errors)
    record, key = await hookline_of(request).create_api_key(
        values["organizationId"], role, values["name"] or None
    )
    shown = RedirectResponse("/ui/api-keys", 303)
    session.flash(
        shown, request, viewer.credentials, apiKey={"id": record.id, "name": record.name, "key": key}
    )
    return shown


@router.post("/ui/api-keys/{key_id}/revoke")
async def revoke_api_key(request: Request, key_id: str, viewer: Signed) -> Response:
    _admin(viewer)
    await accept_form(request, viewer)
    await hookline_of(request).revoke_api_key(key_id)
    return RedirectResponse(link("/ui/api-keys", {"done": "revoke"}), 303)
