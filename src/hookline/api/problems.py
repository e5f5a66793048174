"""RFC 9457 problem details for EVERY error the service answers, unknown routes included."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from hookline.api.methods import allowed_methods
from hookline.api.schemas import AttemptOut
from hookline.domain.errors import (
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    HooklineError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from hookline.domain.records import Attempt

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
_STATUS = {InvalidInput: 422, NotFound: 404, Conflict: 409, PayloadTooLarge: 413, Forbidden: 403}


class ApiError(HooklineError):
    """An error only the HTTP layer raises; it names its own status and headers."""

    status = 400

    def headers(self) -> dict[str, str] | None:
        return None


class Unauthorized(ApiError):
    title = "Unauthorized"
    status = 401

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": "Bearer"}


class TooManyRequests(ApiError):
    title = "Too many requests"
    status = 429

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after_s)}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body |= {key: value for key, value in extra.items() if value is not None}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field_of(location: tuple[Any, ...]) -> str:
    """`("body", "enabledEvents", 0, "type")` → `enabledEvents[0].type`."""
    parts = list(location[1:] if location and location[0] in ("body", "query", "path") else location)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


async def _on_validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    if any(item.get("type") == "json_invalid" for item in error.errors()):
        errors = [{"field": "body", "message": "is not valid JSON"}]
        return problem(422, "the request body is not valid JSON", title="Invalid input", errors=errors)
    errors = [
        {"field": _field_of(tuple(item.get("loc", ()))), "message": str(item.get("msg", "is invalid"))}
        for item in error.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, detail, title="Invalid input", errors=errors)


async def _on_hookline_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HooklineError)
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
    headers = None
    if isinstance(error, ApiError):
        status, headers = error.status, error.headers()
    errors = None
    if isinstance(error, InvalidInput):
        errors = [{"field": e.field, "message": e.message} for e in error.errors]
    extra = {name: _on_the_wire(value) for name, value in error.extra.items()}
    return problem(status, error.detail, title=error.title, headers=headers, errors=errors, **extra)


def _on_the_wire(value: Any) -> Any:
    """Records travel in their API shape (camelCase), e.g. the attempt of a failed `verify`."""
    if isinstance(value, Attempt):
        return AttemptOut.of(value).model_dump(mode="json", by_alias=True)
    return value


def _method_not_allowed(request: Request) -> Response:
    """405 with the full `Allow`; OPTIONS is answered 204 with the same `Allow` (RFC 9110 9.3.7)."""
    allow = {"Allow": allowed_methods(request)}
    if request.method == "OPTIONS":
        return Response(status_code=204, headers=allow)
    return problem(405, f"{request.method} is not allowed here; use {allow['Allow']}", headers=allow)


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        return _method_not_allowed(request)
    if error.status_code == 400 and isinstance(error.__cause__, ValueError | RecursionError):
        # FastAPI's "error parsing the body": bytes that are not UTF-8, nesting or numbers
        # too large for the parser. Not JSON, so 422 like any other malformed body.
        errors = [{"field": "body", "message": "is not valid JSON"}]
        return problem(422, "the request body is not valid JSON", title="Invalid input", errors=errors)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).description
    if error.status_code == 404 and detail == "Not Found":
        detail = "no such resource"
    return problem(error.status_code, detail, headers=getattr(error, "headers", None))


async def _on_database_unavailable(_: Request, error: Exception) -> JSONResponse:
    """503 with Retry-After while the database is unreachable (restarting, connection lost): the
    request may well succeed in a moment. The store raises it for exactly those driver errors;
    any other is a bug and ends in `_on_unexpected` (500)."""
    log.warning("database unavailable: %s", error)
    return problem(503, "the database is unavailable; try again shortly", headers={"Retry-After": "2"})


async def _on_unexpected(_: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=error)
    return problem(500, "an unexpected error occurred; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HooklineError, _on_hookline_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(DatabaseUnavailable, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
