"""Paths and query strings carrying NUL are refused before any route sees them.

No id or filter can contain NUL, and PostgreSQL text cannot even be compared with one: such
a value would otherwise reach the database and fail there as a 500.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from hookline.api.problems import problem


class RefuseNul:
    """Answers 422 problem+json when the decoded path or query string contains NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(query):
                response = problem(
                    422,
                    "the URL must not contain NUL characters",
                    title="Invalid input",
                    errors=[{"field": "url", "message": "must not contain NUL characters"}],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
