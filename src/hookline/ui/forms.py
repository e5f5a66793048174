"""Reading form posts and query values, and refusing forms without this session's CSRF token."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Query, Request
from starlette.responses import Response

from hookline.ui import session
from hookline.ui.rendering import error_page
from hookline.ui.viewer import Viewer

MAX_PAGE_SIZE = 500
PAGE_SIZES = (25, 50, 100, 200)

PageNumber = Annotated[int, Query(alias="pageNumber", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)]


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form post (the first value of each)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body, max_num_fields=20).items()}


async def refuse_foreign_form(request: Request, viewer: Viewer) -> Response | None:
    """A 403 page for a form post without this session's CSRF token or from another site."""
    form = await read_form(request)
    if session.same_origin(request) and viewer.credentials.accepts(form.get("csrf")):
        return None
    return error_page(
        request,
        403,
        "Forbidden",
        "This form is out of date or was not sent from this page. Reload the page and try again.",
    )
