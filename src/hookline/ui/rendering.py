"""The Jinja2 environment of the overview pages: autoescaped templates, display filters, and
`render`, which every page answers through."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from hookline import __version__
from hookline.domain.enums import WebhookState
from hookline.ui import charts

LIVE_INTERVAL_MS = 3000
"""How often a live page asks whether it changed (a 304 without a body when it did not)."""

STATE_ORDER = (
    WebhookState.CREATED,
    WebhookState.RETRYING,
    WebhookState.SUCCESSFUL,
    WebhookState.FAILED,
    WebhookState.ABORTED,
    WebhookState.PENDING,
    WebhookState.RESOLVED,
)
"""The order of the contract's list, which is also the order of the overview's counters."""


def iso(instant: datetime | None) -> str:
    """ISO-8601 UTC to the second, like the API: `2026-01-05T12:00:00Z`."""
    if instant is None:
        return "—"
    if instant.tzinfo is None:  # the store hands out UTC; SQLite may drop the zone
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "—"
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    return f"{milliseconds / 1000:.2f} s"


def percent(share: float | None) -> str:
    """A 0..1 share as a percentage people read at a glance: 99.5 %, 100 %, — without data."""
    if share is None:
        return "—"
    value = share * 100
    return f"{value:.0f} %" if value in (0, 100) or value >= 99.95 or value < 0.05 else f"{value:.1f} %"


def excerpt(text: str | None, limit: int = 140) -> str:
    """The start of a response body on one line; the template shows the rest on demand."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def link(path: str, params: dict[str, object], **changes: object) -> str:
    """`path` with the non-empty `params`, some changed: keeps filters across pages."""
    merged = {**params, **changes}
    query = urlencode({key: value for key, value in merged.items() if value not in (None, "")})
    return f"{path}?{query}" if query else path


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hookline.ui", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(iso=iso, duration=duration, excerpt=excerpt, percent=percent)
    env.globals.update(
        link=link,
        STATES=STATE_ORDER,
        charts_of=charts.charts_of,
    )
    return env


templates = Jinja2Templates(env=_environment())


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    context.setdefault("nav", None)
    context.setdefault("message", None)
    context.setdefault("error", None)
    context.setdefault("version", __version__)
    context.setdefault("live", False)
    context.setdefault("live_interval_ms", LIVE_INTERVAL_MS)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, detail: str) -> Response:
    return render(request, "error.html", status_code, title=title, detail=detail[:1].upper() + detail[1:])
