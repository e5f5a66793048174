"""Strict JSON request bodies: JSON media types only (415 otherwise), and no key twice (422).

Python's parser keeps the last of two equal keys, so `{"organizationId": "a", "organizationId":
"b"}` would act for `b` while a proxy or log that reads the first sees `a`. Every API router is
built with `json_router`, whose routes parse the body once, here, before FastAPI validates it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from hookline.api.problems import ApiError
from hookline.domain.errors import FieldError, InvalidInput

JSON = "application/json"


class UnsupportedMediaType(ApiError):
    title = "Unsupported Media Type"
    status = 415

    def headers(self) -> dict[str, str] | None:
        return {"Accept": JSON}


def media_type_refusal(content_type: str | None) -> str | None:
    """Why a body of `content_type` is not JSON, or None: `application/json` or any `+json`
    type, with at most a UTF-8 charset (RFC 8259: JSON is UTF-8)."""
    if not content_type:
        return "a JSON body needs Content-Type: application/json"
    media, *parameters = (part.strip() for part in content_type.split(";"))
    kind = media.lower()
    if not (kind == JSON or (kind.startswith("application/") and kind.endswith("+json"))):
        return f"the body must be JSON (Content-Type: application/json), not {media or 'empty'}"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return f"JSON is UTF-8; charset {value.strip()} is not supported"
    return None


def loads_strict(body: bytes) -> Any:
    """`json.loads`, refusing any object that names a key twice (InvalidInput names where)."""
    duplicated: dict[int, str] = {}

    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicated[id(built)] = key
                    break
                seen.add(key)
        return built

    parsed = json.loads(body, object_pairs_hook=build)
    if duplicated:
        field = _path_of(parsed, duplicated)
        raise InvalidInput([FieldError(field, "appears more than once; each key may be given once")])
    return parsed


def _path_of(parsed: Any, duplicated: dict[int, str]) -> str:
    """The field path (`enabledEvents[0].type`) of the first key given twice."""
    pending: list[tuple[Any, str]] = [(parsed, "")]
    while pending:
        value, path = pending.pop()
        if isinstance(value, dict):
            if id(value) in duplicated:
                key = duplicated[id(value)]
                return f"{path}.{key}" if path else key
            pending.extend((item, f"{path}.{key}" if path else key) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
    return "body"


class StrictJsonRoute(APIRoute):
    """A route that takes a JSON body refuses other media types and duplicated keys."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None:
            return handle

        async def strict(request: Request) -> Response:
            body = await request.body()
            if body:
                refusal = media_type_refusal(request.headers.get("content-type"))
                if refusal is not None:
                    raise UnsupportedMediaType(refusal)
                # Not JSON at all: FastAPI's own parse reports it (422) as before.
                with contextlib.suppress(ValueError, RecursionError):
                    request._json = loads_strict(body)  # Request.json() answers it from here
            return await handle(request)

        return strict


def json_router(**options: Any) -> APIRouter:
    """An APIRouter whose routes parse JSON bodies strictly."""
    return APIRouter(route_class=StrictJsonRoute, **options)
