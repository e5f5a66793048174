"""The UI's sign-in cookie and the CSRF token bound to it.

The cookie holds a random session nonce and the API key, `<nonce>.<key>`, encrypted with the
service's secret key, so the key itself never travels in a response header. The key is checked
with `Hookline.authenticate` on every request, so a revoked key signs the browser out at once.
The CSRF token is HMAC-SHA256(key, nonce): only a holder of the key can compute it, it changes
with every sign-in, and a planted cookie without the key cannot forge it. The cookie is
HttpOnly and SameSite=Strict, so another site can neither read it nor make the browser send it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from hookline.crypto import SecretBox

COOKIE = "hookline_session"
COOKIE_PATH = "/ui"
LIFETIME = timedelta(hours=12)
HOME = "/ui"


@dataclass(frozen=True, slots=True)
class Credentials:
    nonce: str
    key: str

    @property
    def csrf_token(self) -> str:
        return hmac.new(
            self.key.encode(), f"hookline-ui-csrf:{self.nonce}".encode(), hashlib.sha256
        ).hexdigest()

    def accepts(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self.csrf_token.encode())


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.runtime.box
    return box


def read(request: Request) -> Credentials | None:
    sealed = request.cookies.get(COOKIE, "")
    if not sealed:
        return None
    try:
        plain = _box(request).decrypt(sealed.encode())
    except ValueError:  # forged, or sealed under another secret key
        return None
    nonce, dot, key = plain.partition(".")
    if not (nonce and dot and key):
        return None
    return Credentials(nonce, key)


def start(response: Response, request: Request, key: str) -> None:
    """Sign the browser in with `key`; Secure whenever the page was served over https."""
    response.set_cookie(
        COOKIE,
        _box(request).encrypt(f"{secrets.token_urlsafe(16)}.{key}").decode(),
        max_age=int(LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def end(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path=COOKIE_PATH, secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


def same_origin(request: Request) -> bool:
    """False when the browser says the form was posted from another site (defence in depth).

    `Origin: null` and a missing header are let through: the CSRF token decides then.
    """
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a page of this UI, never another site."""
    if not target or not target.startswith(HOME) or "\\" in target or "//" in target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target
