"""The stylesheet, script and icon, and the site root that leads to the UI."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.responses import RedirectResponse, Response

from hookline.domain.errors import NotFound
from hookline.ui import session
from hookline.ui.route import ui_router

STATIC = {"hookline.css": "text/css", "hookline.js": "text/javascript", "favicon.svg": "image/svg+xml"}

router = ui_router()


@router.get("/")
async def root() -> Response:
    return RedirectResponse(session.HOME, status_code=307)


@cache
def _static(name: str) -> bytes:
    return (files("hookline.ui") / "static" / name).read_bytes()


@router.get("/ui/static/{name}")
async def static(name: str) -> Response:
    media_type = STATIC.get(name)
    if media_type is None:
        raise NotFound(f"no static file {name!r}")
    return Response(_static(name), media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})
