"""Which methods a path takes, for `Allow` on 405 and OPTIONS answers.

Starlette names only the methods of the first route whose path matched, and FastAPI's included
routers hide the rest, so the answer comes from the OpenAPI description, where the most literal
template wins (`/search` before `/{registration_id}`), as routing reads it. Paths outside the
description (the UI) are asked of the router, method by method.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from starlette.routing import Match

_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
_PARAMETER = re.compile(r"\{[^}/]+\}")
Templates = list[tuple[re.Pattern[str], tuple[str, ...]]]


def _templates(app: FastAPI) -> Templates:
    """The description's paths as patterns, most literal first."""
    cached: Templates | None = getattr(app.state, "method_templates", None)
    if cached is None:
        paths: dict[str, dict[str, Any]] = app.openapi().get("paths", {})
        ordered = sorted(paths, key=lambda path: (len(_PARAMETER.findall(path)), -len(path)))
        cached = [
            (
                re.compile("^" + "[^/]+".join(re.escape(part) for part in _PARAMETER.split(path)) + "$"),
                tuple(method.upper() for method in paths[path] if method.upper() in _METHODS),
            )
            for path in ordered
        ]
        app.state.method_templates = cached
    return cached


def allowed_methods(request: Request) -> str:
    """The `Allow` value for the request's path (always with OPTIONS, which hookline answers)."""
    path = request.url.path
    for pattern, methods in _templates(request.app):
        if pattern.match(path):
            return ", ".join([*sorted(methods), "OPTIONS"])
    routes = request.app.router.routes
    routed = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return ", ".join([*routed, "OPTIONS"])
