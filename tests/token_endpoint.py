"""A real OAuth2 token endpoint for tests (served on loopback with `tests.conftest.serving`)."""

from __future__ import annotations

from aiohttp import web

from tests.conftest import Received, Receiver


class TokenEndpoint(Receiver):
    """Issues `token-1`, `token-2`, ... (`prefix` + a count) unless a reply is scripted, and
    records every token request."""

    def __init__(self, prefix: str = "token-") -> None:
        super().__init__()
        self.prefix = prefix
        self.issued = 0
        self.expires_in: object = 3600

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(Received(request.method, request.path_qs, dict(request.headers), body))
        if self.replies:
            reply = self.replies.pop(0)
            return web.Response(status=reply.status, text=reply.body, content_type="application/json")
        self.issued += 1
        answer = {
            "access_token": f"{self.prefix}{self.issued}",
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }
        return web.json_response(answer)
