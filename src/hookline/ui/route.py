"""The route class of every UI page: errors become pages, and every answer gets the security headers.

The app answers problem+json for the API; a person in a browser gets an HTML page instead, and a
missing or expired sign-in goes to the sign-in form with the page asked for as `next`.

Every page carries an ETag of its HTML, so the live updates (hookline.js polls the page it shows)
get a bodyless 304 while nothing on it changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from hookline.domain.errors import Forbidden, InvalidInput, NotFound
from hookline.ui import session
from hookline.ui.forms import ForeignForm
from hookline.ui.rendering import error_page, link, render
from hookline.ui.viewer import PublisherOnly, SignInRequired

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _here(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def _unless_unchanged(request: Request, response: Response) -> Response:
    """The page with its ETag, or 304 when the poller already has exactly this page."""
    etag = f'"{hashlib.sha256(response.body).hexdigest()[:32]}"'
    if request.headers.get("if-none-match") == etag:
        unchanged = Response(status_code=304, headers={"ETag": etag})
        for name, value in SECURITY_HEADERS.items():
            unchanged.headers[name] = value
        return unchanged
    response.headers["ETag"] = etag
    return response


class UiRoute(APIRoute):
    """Answers the UI's errors as pages (the app answers problem+json for the API)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handle(request)
            except SignInRequired:
                target = _here(request) if request.method == "GET" else session.HOME
                response = RedirectResponse(link("/ui/login", {"next": target}), status_code=303)
                session.end(response, request)
            except ForeignForm:
                response = error_page(request, 403, "Forbidden", ForeignForm.detail)
            except PublisherOnly:
                response = render(request, "publisher.html", 403)
            except NotFound as error:
                response = error_page(request, 404, "Not found", error.detail)
            except Forbidden as error:
                response = error_page(request, 403, "Forbidden", error.detail)
            except InvalidInput as error:
                response = error_page(request, 422, "Invalid input", error.detail)
            except RequestValidationError as error:
                fields = "; ".join(
                    f"{item['loc'][-1]}: {item.get('msg', 'is invalid')}" for item in error.errors()
                )
                response = error_page(request, 422, "Invalid input", fields or "the request is invalid")
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            if request.method == "GET" and response.headers.get("content-type", "").startswith("text/html"):
                session.forget_flash(response, request)  # shown once: a reload no longer has it
                if response.status_code == 200:
                    response = _unless_unchanged(request, response)
            return response

        return guarded


def ui_router() -> APIRouter:
    """A router for one page module: hidden from the OpenAPI description, errors as pages."""
    return APIRouter(include_in_schema=False, route_class=UiRoute)
