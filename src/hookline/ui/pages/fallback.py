"""Any other /ui path: the overview for `/ui/`, else a 404 page."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hookline.ui import session
from hookline.ui.rendering import error_page
from hookline.ui.route import ui_router
from hookline.ui.viewer import optional_viewer

router = ui_router()


@router.get("/ui/{rest:path}")
async def unknown(request: Request, rest: str) -> Response:
    if not rest:
        return RedirectResponse(session.HOME, status_code=307)
    await optional_viewer(request)
    return error_page(request, 404, "Not found", "There is no such page.")
