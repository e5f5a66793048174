"""The overview UI: server-rendered pages over the same use cases and scoping as the API.

Every page but the sign-in form needs the sign-in cookie (see `hookline.ui.session`). The
signed-in key's organization confines what is shown exactly as in the API: an admin sees every
organization, any other key only its own, and another organization's ids answer 404. Publisher
keys cannot read webhooks, so they only get a page that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from hookline import __version__
from hookline.domain.enums import Role, WebhookState
from hookline.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from hookline.domain.records import Registration, Webhook, WebhookFilter
from hookline.service import Hookline, Principal, RegistrationChanges, RegistrationFilter
from hookline.ui import session
from hookline.ui.rendering import STATE_ORDER, link, templates
from hookline.ui.session import Credentials

MAX_PAGE_SIZE = 500
PAGE_SIZES = (25, 50, 100, 200)
ATTEMPTS_PAGE_SIZE = 100
RECENT = 10

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

STATIC = {"hookline.css": "text/css", "hookline.js": "text/javascript", "favicon.svg": "image/svg+xml"}

DONE = {
    "abort": "Aborted: no further attempts will be made.",
    "resolve": "Resolved: marked as handled by hand.",
    "retry": "Retry requested: one more attempt is queued now.",
}
"""What a successful action says; fixed texts so no query string is ever echoed."""

REGISTRATION_DONE = {
    "deactivate": "Deactivated: it receives no new webhooks, and its unfinished ones were aborted.",
    "reactivate": "Reactivated: it receives new webhooks again, with a clean failure record.",
}


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in key and the CSRF token of its session."""

    principal: Principal
    credentials: Credentials

    @property
    def is_admin(self) -> bool:
        return self.principal.organization_id is None

    @property
    def scope(self) -> str | None:
        return self.principal.organization_id

    @property
    def csrf_token(self) -> str:
        return self.credentials.csrf_token

    def reading_scope(self, requested: str | None) -> str | None:
        """Like the API: admins may narrow to one organization, others are confined to theirs."""
        return (requested or None) if self.is_admin else self.scope


class SignInRequired(Exception):
    """No valid sign-in cookie: go to the sign-in form."""


class PublisherOnly(Exception):
    """A publisher key is signed in; it may not read webhooks."""


def _hookline(request: Request) -> Hookline:
    service: Hookline = request.app.state.hookline
    return service


async def _optional_viewer(request: Request) -> Viewer | None:
    credentials = session.read(request)
    if credentials is None:
        return None
    principal = await _hookline(request).authenticate(credentials.key)
    if principal is None:
        return None
    viewer = Viewer(principal, credentials)
    request.state.viewer = viewer
    return viewer


async def _viewer(request: Request) -> Viewer:
    viewer = await _optional_viewer(request)
    if viewer is None:
        raise SignInRequired
    if viewer.principal.role is Role.PUBLISHER:
        raise PublisherOnly
    return viewer


Signed = Annotated[Viewer, Depends(_viewer)]


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    context.setdefault("nav", None)
    context.setdefault("message", None)
    context.setdefault("error", None)
    context.setdefault("version", __version__)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _error_page(request: Request, status_code: int, title: str, detail: str) -> Response:
    return render(request, "error.html", status_code, title=title, detail=detail[:1].upper() + detail[1:])


def _here(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


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
            except PublisherOnly:
                response = render(request, "publisher.html", 403)
            except NotFound as error:
                response = _error_page(request, 404, "Not found", error.detail)
            except Forbidden as error:
                response = _error_page(request, 403, "Forbidden", error.detail)
            except InvalidInput as error:
                response = _error_page(request, 422, "Invalid input", error.detail)
            except RequestValidationError as error:
                fields = "; ".join(
                    f"{item['loc'][-1]}: {item.get('msg', 'is invalid')}" for item in error.errors()
                )
                response = _error_page(request, 422, "Invalid input", fields or "the request is invalid")
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded


router = APIRouter(include_in_schema=False, route_class=UiRoute)


@router.get("/")
async def root() -> Response:
    return RedirectResponse(session.HOME, status_code=307)


# Static files --------------------------------------------------------------------------------


@cache
def _static(name: str) -> bytes:
    return (files("hookline.ui") / "static" / name).read_bytes()


@router.get("/ui/static/{name}")
async def static(name: str) -> Response:
    media_type = STATIC.get(name)
    if media_type is None:
        raise NotFound(f"no static file {name!r}")
    return Response(_static(name), media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


# Signing in and out --------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form post (the first value of each)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body, max_num_fields=20).items()}


@router.get("/ui/login")
async def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    viewer = await _optional_viewer(request)
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
    form = await _form(request)
    target = session.safe_next(form.get("next"))
    if not session.same_origin(request):
        return _error_page(request, 403, "Forbidden", "this form was posted from another site")
    key = form.get("key", "").strip()
    if not key:
        return render(request, "login.html", 422, next=target, error="Enter an API key.")
    principal = await _hookline(request).authenticate(key)
    if principal is None:
        return render(request, "login.html", 401, next=target, error="This API key is unknown or revoked.")
    response = RedirectResponse(target, status_code=303)
    session.start(response, request, key)
    return response


@router.api_route("/ui/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    response = RedirectResponse("/ui/login?signedOut=1", status_code=303)
    session.end(response, request)
    return response


# Overview ------------------------------------------------------------------------------------


@router.get("/ui")
async def overview(
    request: Request,
    viewer: Signed,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
) -> Response:
    service = _hookline(request)
    scope = viewer.reading_scope(organization_id)
    by_state = await service.count_webhooks_by_state(scope)
    counts = [(state, by_state.get(state, 0)) for state in STATE_ORDER]
    latest = await service.list_webhooks(WebhookFilter(organization_id=scope), 1, RECENT)
    registrations = await service.search_registrations(scope, RegistrationFilter(), 1, RECENT)
    active = await service.search_registrations(scope, RegistrationFilter(is_active=True), 1, 1)
    inactive = await service.search_registrations(scope, RegistrationFilter(is_active=False), 1, 1)
    return render(
        request,
        "overview.html",
        nav="overview",
        organization_id=scope,
        counts=counts,
        total=sum(count for _, count in counts),
        latest=latest.items,
        registrations=registrations,
        active_count=active.total_count,
        inactive_count=inactive.total_count,
    )


# Registrations -------------------------------------------------------------------------------

PageNumber = Annotated[int, Query(alias="pageNumber", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)]


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
    entity_name: Annotated[str | None, Query(alias="entityName", max_length=200)] = None,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
    page_number: PageNumber = 1,
    page_size: PageSize = 50,
) -> Response:
    service = _hookline(request)
    params: dict[str, object] = {
        "active": active or None,
        "entityName": entity_name or None,
        "organizationId": organization_id if viewer.is_admin else None,
        "pageSize": page_size,
    }
    found, error = None, None
    try:
        where = RegistrationFilter(is_active=_active(active), entity_name=entity_name or None)
        found = await service.search_registrations(
            viewer.reading_scope(organization_id), where, page_number, page_size
        )
    except InvalidInput as invalid:
        error = invalid.detail
    return render(
        request,
        "registrations.html",
        422 if error else 200,
        nav="registrations",
        page=found,
        params=params,
        error=error,
        entities=service.catalog.names,
        page_sizes=PAGE_SIZES,
    )


@router.get("/ui/registrations/{registration_id}")
async def registration(
    request: Request,
    registration_id: str,
    viewer: Signed,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    found = await _hookline(request).get_registration(registration_id, viewer.scope)
    return await _registration_page(request, viewer, found, message=REGISTRATION_DONE.get(done or ""))


async def _registration_page(
    request: Request,
    viewer: Viewer,
    found: Registration,
    *,
    status_code: int = 200,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    recent = await _hookline(request).list_webhooks(
        WebhookFilter(organization_id=viewer.scope, registration_id=found.id), 1, 20
    )
    return render(
        request,
        "registration.html",
        status_code,
        nav="registrations",
        registration=found,
        recent=recent,
        message=message,
        error=error,
    )


@router.post("/ui/registrations/{registration_id}/{action}")
async def act_on_registration(
    request: Request, registration_id: str, action: str, viewer: Signed
) -> Response:
    """Send a test webhook, or deactivate or reactivate, from a form on the registration page."""
    if action not in ("test", *REGISTRATION_DONE):
        raise NotFound(f"no action {action!r}")
    refused = await _refuse_foreign_form(request, viewer)
    if refused is not None:
        return refused
    service = _hookline(request)
    if action == "test":
        tried = await service.test_registration(registration_id, viewer.scope)
        took = f"{tried.duration_ms} ms"
        found = await service.get_registration(registration_id, viewer.scope)
        if tried.succeeded:
            return await _registration_page(
                request, viewer, found, message=f"Test webhook answered {tried.response_status} in {took}."
            )
        why = tried.error or f"HTTP {tried.response_status}"
        return await _registration_page(
            request, viewer, found, error=f"Test webhook failed after {took}: {why}."
        )
    try:
        await service.update_registration(
            registration_id, viewer.scope, RegistrationChanges(is_active=action == "reactivate")
        )
    except Conflict as conflict:
        found = await service.get_registration(registration_id, viewer.scope)
        return await _registration_page(
            request, viewer, found, status_code=409, error=f"Not possible: {conflict.detail}."
        )
    return RedirectResponse(
        link(f"/ui/registrations/{quote(registration_id, safe='')}", {"done": action}), 303
    )


async def _refuse_foreign_form(request: Request, viewer: Viewer) -> Response | None:
    """A 403 page for a form post without this session's CSRF token or from another site."""
    form = await _form(request)
    if session.same_origin(request) and viewer.credentials.accepts(form.get("csrf")):
        return None
    return _error_page(
        request,
        403,
        "Forbidden",
        "This form is out of date or was not sent from this page. Reload the page and try again.",
    )


# Webhooks ------------------------------------------------------------------------------------


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
    service = _hookline(request)
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
    return render(
        request,
        "webhooks.html",
        422 if error else 200,
        nav="webhooks",
        page=found,
        params=params,
        selected_state=selected,
        error=error,
        entities=service.catalog.names,
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
    service = _hookline(request)
    attempts = await service.list_attempts(webhook.id, viewer.scope, attempts_page, ATTEMPTS_PAGE_SIZE)
    try:
        owner = await service.get_registration(webhook.registration_id, viewer.scope)
    except NotFound:  # deleted since; its webhooks stay readable
        owner = None
    return render(
        request,
        "webhook.html",
        status_code,
        nav="webhooks",
        webhook=webhook,
        attempts=attempts,
        registration=owner,
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
    found = await _hookline(request).get_webhook(webhook_id, viewer.scope)
    return await _webhook_page(request, viewer, found, attempts_page, message=DONE.get(done or ""))


@router.post("/ui/webhooks/{webhook_id}/{action}")
async def act(request: Request, webhook_id: str, action: str, viewer: Signed) -> Response:
    """Abort, resolve or retry from a form; a refused transition is shown on the page as 409."""
    service = _hookline(request)
    actions = {"abort": service.abort, "resolve": service.resolve, "retry": service.retry}
    perform = actions.get(action)
    if perform is None:
        raise NotFound(f"no action {action!r}")
    refused = await _refuse_foreign_form(request, viewer)
    if refused is not None:
        return refused
    try:
        await perform(webhook_id, viewer.scope)
    except Conflict as conflict:
        current = await service.get_webhook(webhook_id, viewer.scope)
        return await _webhook_page(
            request, viewer, current, status_code=409, error=f"Not possible: {conflict.detail}."
        )
    return RedirectResponse(link(f"/ui/webhooks/{quote(webhook_id, safe='')}", {"done": action}), 303)


@router.get("/ui/{rest:path}")
async def unknown(request: Request, rest: str) -> Response:
    if not rest:
        return RedirectResponse(session.HOME, status_code=307)
    await _optional_viewer(request)
    return _error_page(request, 404, "Not found", "There is no such page.")
