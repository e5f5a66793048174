"""Signing in with an API key, and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from hookline.ui import session
from hookline.ui.forms import accept_form, read_form
from hookline.ui.rendering import error_page, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import hookline_of, optional_viewer

router = ui_router()


@router.get("/ui/login")
async def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    viewer = await optional_viewer(request)
    if viewer is not None:
        return RedirectResponse(session.safe_next(next), status_code=303)
    signed_out = request.query_params.get("signedOut") == "1"
    return render(
        request,
        "login.html",
        next=session.safe_next(next),
        message="You are signed out." if signed_out else None,
    )


@router.post("/ui/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    target = session.safe_next(form.get("next") or None)
    if not session.same_origin(request):
        return error_page(request, 403, "Forbidden", "this form was posted from another site")
    key = form.text("key")
    if not key:
        return render(request, "login.html", 422, next=target, error="Enter an API key.")
    service = hookline_of(request)
    principal = await service.authenticate(key)
    if principal is None:
        return render(request, "login.html", 401, next=target, error="This API key is unknown or revoked.")
    response = RedirectResponse(target, status_code=303)
    session.start(response, request, await service.open_ui_session(principal, session.LIFETIME), key)
    return response


@router.get("/ui/logout")
async def confirm_logout(request: Request) -> Response:
    """A link to /ui/logout asks first: signing out is a form post, so no other site can do it."""
    viewer = await optional_viewer(request)
    if viewer is None:
        return RedirectResponse("/ui/login?signedOut=1", status_code=303)
    return render(request, "logout.html")


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    viewer = await optional_viewer(request)
    if viewer is not None:
        await accept_form(request, viewer)
        await hookline_of(request).close_ui_session(viewer.credentials.session_id)
    response = RedirectResponse("/ui/login?signedOut=1", status_code=303)
    session.end(response, request)
    return response
