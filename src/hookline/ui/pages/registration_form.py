"""The "New registration" and edit forms: the same use cases, and so the same validation, as the
API; each message is shown next to its field.

A form posts every setting, so an edit replaces them all (like a PATCH naming every field), except
the write-only values: the Basic password, the Bearer token, the OAuth2 client secret and the
client certificate are never shown, and an empty field keeps the stored one; a custom header named
without a value keeps its stored value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hookline.domain.enums import AuthorizationType, SignatureScheme, WebhookEventType
from hookline.domain.errors import Conflict, InvalidInput
from hookline.domain.headers import MAX_CUSTOM_HEADERS, MAX_VALUE_LENGTH
from hookline.domain.records import Registration
from hookline.domain.retry import NO_RETRIES
from hookline.domain.subscriptions import EVERY, EventChoice
from hookline.domain.throttle import MAX_RATE, MIN_RATE
from hookline.domain.urls import MAX_URL_LENGTH
from hookline.service import ClientCertificate, RegistrationChanges, RegistrationDraft, TargetAuthorization
from hookline.ui.filter_field import MAX_FILTER_TEXT, read_filter_text, shown_filter
from hookline.ui.forms import MAX_NAME_LENGTH, Form, accept_form, too_long
from hookline.ui.header_lines import read_header_lines, show_header_lines
from hookline.ui.moments import read_moment, show_moment
from hookline.ui.pages.registrations import flash_key, page_of
from hookline.ui.rendering import link, render
from hookline.ui.route import ui_router
from hookline.ui.viewer import Signed, Viewer, hookline_of

MAX_DESCRIPTION_LENGTH = 1000
MAX_CREDENTIAL_LENGTH = 500
MAX_SCHEDULE_LENGTH = 500
MAX_OAUTH2_TEXT_LENGTH = 1000
MAX_CERTIFICATE_LENGTH = 64 * 1024
MAX_KEY_LENGTH = 16 * 1024
MAX_HEADER_LINES_LENGTH = MAX_CUSTOM_HEADERS * (MAX_NAME_LENGTH + MAX_VALUE_LENGTH + 3)
"""The API's bounds (api/schemas.py) for what the use cases do not bound themselves."""

FIELD_OF = {
    "targetUrl": "targetUrl",
    "description": "description",
    "organizationId": "organizationId",
    "enabledEvents": "events",
    "expiresAt": "expiresAt",
    "targetAuthorization": "authorizationType",
    "targetAuthorization.username": "username",
    "targetAuthorization.password": "password",
    "targetAuthorization.token": "token",
    "targetAuthorization.tokenUrl": "tokenUrl",
    "targetAuthorization.clientId": "clientId",
    "targetAuthorization.clientSecret": "clientSecret",
    "targetAuthorization.scope": "scope",
    "targetAuthorization.audience": "audience",
    "clientCertificate": "certificate",
    "clientCertificate.certificate": "certificate",
    "clientCertificate.privateKey": "privateKey",
    "retrySchedule": "retrySchedule",
    "maxRequestsPerSecond": "maxRequestsPerSecond",
    "headers": "headers",
    "signatureScheme": "signatureScheme",
}
"""Where a use case's message about a field is shown: the API's field name to the form's."""

router = ui_router()


@dataclass
class Filled:
    """A form as posted (or as prefilled from a registration), with the messages per field."""

    values: dict[str, str]
    events: set[str]
    flags: set[str]
    errors: dict[str, str] = field(default_factory=dict)
    mixed_filters: bool = False
    """The registration's entries have different filters, which the one field cannot show."""

    @classmethod
    def empty(cls) -> Filled:
        return cls({"authorizationType": "none", "signatureScheme": SignatureScheme.V1.value}, set(), set())

    @classmethod
    def of(cls, registration: Registration) -> Filled:
        flags = {
            name
            for name, on in (
                ("shouldGroup", registration.should_group),
                ("shouldGroupContinueAfterFail", registration.should_group_continue_after_fail),
                ("coalesceUpdates", registration.coalesce_updates),
            )
            if on
        }
        values = {
            "targetUrl": registration.target_url,
            "description": registration.description or "",
            "organizationId": registration.organization_id,
            "expiresAt": show_moment(registration.expires_at) if registration.expires_at else "",
            "authorizationType": registration.authorization_type.name.lower(),
            "username": "" if registration.oauth2 else registration.username or "",
            "retrySchedule": show_schedule(registration.retry_schedule),
            "maxRequestsPerSecond": str(registration.max_requests_per_second or ""),
            "headers": show_header_lines(registration.custom_header_names),
        }
        values["filter"], mixed = shown_filter(registration.enabled_events)
        if registration.oauth2 is not None:
            oauth2 = registration.oauth2
            values |= {
                "tokenUrl": oauth2.token_url,
                "clientId": oauth2.client_id,
                "scope": oauth2.scope or "",
                "audience": oauth2.audience or "",
            }
        events = {_event_value(e.entity_name, e.type) for e in registration.enabled_events}
        return cls(values, events, flags, mixed_filters=mixed)

    @classmethod
    def posted(cls, form: Form) -> Filled:
        names = (
            "targetUrl",
            "description",
            "organizationId",
            "expiresAt",
            "authorizationType",
            "username",
            "retrySchedule",
            "maxRequestsPerSecond",
            "filter",
            "signatureScheme",
            "tokenUrl",
            "clientId",
            "scope",
            "audience",
        )
        values = {name: form.text(name) for name in names}
        for secret in ("password", "token", "clientSecret", "certificate", "privateKey"):
            values[secret] = form.get(secret)  # kept only for this request, never shown again
        values["headers"] = form.get("headers")  # its values are write-only like the password
        flags = {
            name
            for name in (
                "shouldGroup",
                "shouldGroupContinueAfterFail",
                "coalesceUpdates",
                "verify",
                "isPaused",
                "removeClientCertificate",
            )
            if form.checked(name)
        }
        return cls(values, set(form.all("event")), flags)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message[:1].upper() + message[1:].rstrip(".") + ".")

    def take(self, invalid: InvalidInput) -> None:
        for error in invalid.errors:
            key, _, index = error.field.partition("[")
            if key == "retrySchedule" and index:  # which delay of the field, counted from 1
                position = int(index.rstrip("]"))
                delay = read_schedule(self.values["retrySchedule"]) or ()
                shown = f" ({delay[position]})" if position < len(delay) else ""
                self.add("retrySchedule", f"delay {position + 1}{shown}: {error.message}")
                continue
            if ".filter" in error.field:  # enabledEvents[i].filter...: the form's one filter
                data_key = error.field.partition(".filter")[2].lstrip(".")
                self.add("filter", f'"{data_key}" {error.message}' if data_key else error.message)
                continue
            if key.startswith("headers."):  # the API names the header: headers.X-Team
                self.add("headers", f"{key.removeprefix('headers.')} {error.message}")
                continue
            self.add(FIELD_OF.get(key, "form"), error.message)


def _event_value(entity_name: str, kind: WebhookEventType | None) -> str:
    return f"{entity_name}:{EVERY if kind is None else kind.value}"


def show_schedule(schedule: tuple[str, ...] | None) -> str:
    """A retry schedule as the form writes it: empty for the service default, `none` for []."""
    if schedule is None:
        return ""
    return ", ".join(schedule) if schedule else NO_RETRIES


def read_schedule(text: str) -> tuple[str, ...] | None:
    """The form's "Retry schedule" (delays split by commas or spaces) as the use case takes it;
    the use case itself judges units, count and bounds, exactly as for the API."""
    if not text:
        return None
    if text.lower() == NO_RETRIES:
        return ()
    return tuple(part for part in re.split(r"[,\s]+", text) if part)


def read_rate(text: str) -> int | None:
    """The form's "Max requests per second" (checked to be digits); empty: unlimited."""
    return int(text) if text else None


def _checked(
    filled: Filled, *, creating: bool, is_admin: bool
) -> tuple[list[EventChoice], datetime | None, TargetAuthorization]:
    """The typed values of a posted form; what cannot be read is noted on `filled`."""
    values = filled.values
    if not values["targetUrl"]:
        filled.add("targetUrl", "enter the URL hookline should POST to")
    elif message := too_long(values["targetUrl"], MAX_URL_LENGTH):
        filled.add("targetUrl", message)
    if message := too_long(values["description"], MAX_DESCRIPTION_LENGTH):
        filled.add("description", message)
    if creating and is_admin:
        if not values["organizationId"]:
            filled.add("organizationId", "admin keys name the organization the registration belongs to")
        elif message := too_long(values["organizationId"], MAX_NAME_LENGTH):
            filled.add("organizationId", message)
    data_filter, problem = read_filter_text(values["filter"])
    if problem:
        filled.add("filter", problem)
    events: list[EventChoice] = []
    for value in sorted(filled.events):
        name, _, kind = value.rpartition(":")
        try:
            events.append(
                EventChoice(name, None if kind == EVERY else WebhookEventType.parse(kind), data_filter)
            )
        except ValueError:
            filled.add("events", f"{value!r} is not an event of this form")
    if not filled.events:
        filled.add("events", "choose at least one event")
    expires_at = None
    if values["expiresAt"]:
        try:
            expires_at = read_moment(values["expiresAt"])
        except ValueError as error:
            filled.add("expiresAt", str(error))
    try:
        scheme = AuthorizationType.parse(values["authorizationType"] or "none")
    except ValueError as error:
        filled.add("authorizationType", str(error))
        scheme = AuthorizationType.NONE
    for name in ("username", "password", "clientId"):
        if message := too_long(values[name], MAX_CREDENTIAL_LENGTH):
            filled.add(name, message)
    for name, limit in (
        ("token", MAX_VALUE_LENGTH),
        ("clientSecret", MAX_VALUE_LENGTH),
        ("tokenUrl", MAX_URL_LENGTH),
        ("scope", MAX_OAUTH2_TEXT_LENGTH),
        ("audience", MAX_OAUTH2_TEXT_LENGTH),
    ):
        if message := too_long(values[name], limit):
            filled.add(name, message)
    if message := too_long(values["retrySchedule"], MAX_SCHEDULE_LENGTH):
        filled.add("retrySchedule", message)
    rate = values["maxRequestsPerSecond"]
    if rate and not (rate.isascii() and rate.isdigit() and len(rate) <= len(str(MAX_RATE))):
        filled.add(
            "maxRequestsPerSecond", f"enter a whole number from {MIN_RATE} to {MAX_RATE}, or leave it empty"
        )
    if scheme is AuthorizationType.NONE:
        authorization = TargetAuthorization()
    elif scheme is AuthorizationType.BEARER:  # a Basic username left in its field is not sent
        authorization = TargetAuthorization(scheme, token=values["token"] or None)
    elif scheme is AuthorizationType.OAUTH2:
        authorization = TargetAuthorization(
            scheme,
            token_url=values["tokenUrl"] or None,
            client_id=values["clientId"] or None,
            client_secret=values["clientSecret"] or None,
            scope=values["scope"] or None,
            audience=values["audience"] or None,
        )
    else:
        authorization = TargetAuthorization(scheme, values["username"] or None, values["password"] or None)
    return events, expires_at, authorization


def _certificate(filled: Filled) -> ClientCertificate | None:
    """The posted client certificate: both textareas, or neither (nothing to change)."""
    certificate, private_key = filled.values["certificate"], filled.values["privateKey"]
    for name, text, limit in (
        ("certificate", certificate, MAX_CERTIFICATE_LENGTH),
        ("privateKey", private_key, MAX_KEY_LENGTH),
    ):
        if message := too_long(text, limit):
            filled.add(name, message)
    if not certificate and not private_key:
        return None
    if not certificate:
        filled.add("certificate", "paste the certificate that goes with the private key")
    if not private_key:
        filled.add("privateKey", "paste the private key of the certificate")
    return ClientCertificate(certificate, private_key)


def _checked_headers(filled: Filled, *, creating: bool) -> dict[str, str | None]:
    """The custom headers of a posted form (None: keep the stored value, on an edit only)."""
    text = filled.values["headers"]
    if message := too_long(text, MAX_HEADER_LINES_LENGTH):
        filled.add("headers", message)
        return {}
    headers, problems = read_header_lines(text)
    for problem in problems:
        filled.add("headers", problem)
    if creating:
        for name in (name for name, value in headers.items() if value is None):
            filled.add("headers", f"{name} has no value: write it as {name}: value")
    return headers


def _signature_scheme(filled: Filled) -> SignatureScheme:
    """The "Signature scheme" chosen on creating (a form posted without it: the default, v1)."""
    try:
        return SignatureScheme(filled.values["signatureScheme"] or SignatureScheme.V1.value)
    except ValueError:
        filled.add("signatureScheme", "choose HMAC-SHA256 (v1) or Ed25519 (v1a)")
        return SignatureScheme.V1


def _form_page(
    request: Request,
    filled: Filled,
    *,
    registration: Registration | None,
    status_code: int = 200,
    error: str | None = None,
    existing_id: str | None = None,
) -> Response:
    service = hookline_of(request)
    return render(
        request,
        "registration_form.html",
        status_code,
        nav="registrations",
        registration=registration,
        filled=filled,
        header_lines=show_header_lines(read_header_lines(filled.values.get("headers", ""))[0]),
        domain_entities=service.catalog.domain_names,
        own_entities=[n for n in service.catalog.names if n not in service.catalog.domain_names],
        types=tuple(WebhookEventType),
        event_value=_event_value,
        max_filter_length=MAX_FILTER_TEXT,
        error=error or ("Nothing was saved: see the messages next to the fields." if filled.errors else None),
        existing_id=existing_id,
    )


@router.get("/ui/registrations/new")
async def new_registration(request: Request, viewer: Signed) -> Response:
    return _form_page(request, Filled.empty(), registration=None)


@router.post("/ui/registrations/new")
async def create_registration(request: Request, viewer: Signed) -> Response:
    filled = Filled.posted(await accept_form(request, viewer))
    events, expires_at, authorization = _checked(filled, creating=True, is_admin=viewer.is_admin)
    certificate = _certificate(filled)
    headers = _checked_headers(filled, creating=True)
    signature_scheme = _signature_scheme(filled)
    if filled.errors:
        return _form_page(request, filled, registration=None, status_code=422)
    draft = RegistrationDraft(
        organization_id=filled.values["organizationId"] if viewer.is_admin else _own(viewer),
        target_url=filled.values["targetUrl"],
        enabled_events=events,
        should_group="shouldGroup" in filled.flags,
        should_group_continue_after_fail="shouldGroupContinueAfterFail" in filled.flags,
        coalesce_updates="coalesceUpdates" in filled.flags,
        target_authorization=authorization,
        client_certificate=certificate,
        description=filled.values["description"] or None,
        expires_at=expires_at,
        verify="verify" in filled.flags,
        is_paused="isPaused" in filled.flags,
        retry_schedule=read_schedule(filled.values["retrySchedule"]),
        max_requests_per_second=read_rate(filled.values["maxRequestsPerSecond"]),
        headers={name: value for name, value in headers.items() if value is not None},
        signature_scheme=signature_scheme,
    )
    try:
        created, secret = await hookline_of(request).register(draft)
    except (InvalidInput, Conflict) as refusal:
        return _refused(request, filled, None, refusal)
    page = RedirectResponse(page_of(created.id), 303)
    flash_key(page, request, viewer, created, secret, "created")
    return page


@router.get("/ui/registrations/{registration_id}/edit")
async def edit_registration(request: Request, registration_id: str, viewer: Signed) -> Response:
    found = await hookline_of(request).get_registration(registration_id, viewer.scope)
    return _form_page(request, Filled.of(found), registration=found)


@router.post("/ui/registrations/{registration_id}/edit")
async def save_registration(request: Request, registration_id: str, viewer: Signed) -> Response:
    service = hookline_of(request)
    found = await service.get_registration(registration_id, viewer.scope)
    filled = Filled.posted(await accept_form(request, viewer))
    filled.values["organizationId"] = found.organization_id
    events, expires_at, authorization = _checked(filled, creating=False, is_admin=viewer.is_admin)
    certificate = _certificate(filled)
    headers = _checked_headers(filled, creating=False)
    if filled.errors:
        return _form_page(request, filled, registration=found, status_code=422)
    changes = RegistrationChanges(
        target_url=filled.values["targetUrl"],
        enabled_events=None if _keeps_own_filters(found, filled) else events,
        should_group="shouldGroup" in filled.flags,
        should_group_continue_after_fail="shouldGroupContinueAfterFail" in filled.flags,
        coalesce_updates="coalesceUpdates" in filled.flags,
        target_authorization=authorization,
        description=filled.values["description"] or None,
        clear_description=not filled.values["description"],
        expires_at=expires_at,
        clear_expires_at=expires_at is None,
        retry_schedule=(schedule := read_schedule(filled.values["retrySchedule"])),
        clear_retry_schedule=schedule is None,
        max_requests_per_second=(rate := read_rate(filled.values["maxRequestsPerSecond"])),
        clear_max_requests_per_second=rate is None,
        client_certificate=certificate,
        clear_client_certificate=certificate is None and "removeClientCertificate" in filled.flags,
        headers=headers,
    )
    try:
        await service.update_registration(registration_id, viewer.scope, changes)
    except (InvalidInput, Conflict) as refusal:
        return _refused(request, filled, found, refusal)
    return RedirectResponse(link(page_of(registration_id), {"done": "save"}), 303)


def _keeps_own_filters(registration: Registration, filled: Filled) -> bool:
    """Whether an edit leaves the events as they are stored: the entries have filters of their
    own (set through the API), which the form's one field cannot show, and neither the chosen
    events nor the empty filter field were changed. Saving then keeps each entry's filter."""
    _, mixed = shown_filter(registration.enabled_events)
    stored = {_event_value(e.entity_name, e.type) for e in registration.enabled_events}
    return mixed and not filled.values["filter"].strip() and filled.events == stored


def _refused(
    request: Request, filled: Filled, registration: Registration | None, refusal: InvalidInput | Conflict
) -> Response:
    """The form again, with the use case's messages next to their fields (422), or why it
    conflicts and a link to the identical registration (409)."""
    if isinstance(refusal, InvalidInput):
        filled.take(refusal)
        return _form_page(request, filled, registration=registration, status_code=422)
    existing = refusal.extra.get("existingId")
    return _form_page(
        request,
        filled,
        registration=registration,
        status_code=409,
        error=f"{'Not saved' if registration else 'Not created'}: {refusal.detail}.",
        existing_id=existing if isinstance(existing, str) else None,
    )


def _own(viewer: Viewer) -> str:
    assert viewer.scope is not None  # only admins have no organization of their own
    return viewer.scope
