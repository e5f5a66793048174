"""Reading form posts and query values, and refusing forms without this session's CSRF token."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Query, Request

from hookline.ui import session
from hookline.ui.viewer import Viewer

MAX_PAGE_SIZE = 500
MAX_NAME_LENGTH = 200
"""Names and organization ids: the API's bound (api/schemas.py `Name`)."""
MAX_FORM_FIELDS = 400
"""Enough for every subscribable pair of the largest catalog form, bounded like a request body."""
PAGE_SIZES = (25, 50, 100, 200)

PageNumber = Annotated[int, Query(alias="pageNumber", ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)]


class Form:
    """A urlencoded form post: the first value of a field, or all of them (checkbox groups)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self._fields.get(name)
        return values[0] if values else default

    def text(self, name: str) -> str:
        return self.get(name).strip()

    def all(self, name: str) -> list[str]:
        return self._fields.get(name, [])

    def checked(self, name: str) -> bool:
        return name in self._fields


async def read_form(request: Request) -> Form:
    """The fields of a urlencoded form post; anything else reads as an empty form."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return Form({})
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        fields = parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except ValueError:  # more fields than any of our forms has
        return Form({})
    return Form(fields)


def too_long(value: str, limit: int) -> str | None:
    """The message for a text field over its limit (the API's bounds), else None."""
    return f"must be at most {limit} characters" if len(value) > limit else None


class ForeignForm(Exception):
    """A form post without this session's CSRF token, or from another site: refused with 403."""

    detail = "This form is out of date or was not sent from this page. Reload the page and try again."


async def accept_form(request: Request, viewer: Viewer) -> Form:
    """The posted form, once it carries this session's CSRF token and came from this site."""
    form = await read_form(request)
    if session.same_origin(request) and viewer.credentials.accepts(form.get("csrf") or None):
        return form
    raise ForeignForm
