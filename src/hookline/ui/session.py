"""The UI's sign-in cookie and the CSRF token bound to it.

The cookie holds the id of a session the service keeps (`Hookline.open_ui_session`, stored only
hashed) and the API key, `<session id>.<key>`, encrypted with the service's secret key, so the
key itself never travels in a response header. On every request the session must still be open
(signing out closes it on the server, so a copy of the cookie stops working everywhere at once)
and the key is checked with `Hookline.authenticate` (a revoked key signs the browser out at once).
The CSRF token is HMAC-SHA256(key, session id): only a holder of the key can compute it, it
changes with every sign-in, and a planted cookie without the key cannot forge it. The cookie is
HttpOnly and SameSite=Strict, so another site can neither read it nor make the browser send it.

A result a page shows once after a form post (a test webhook's answer, a secret revealed once)
travels to the page it redirects to (POST-redirect-GET: reloading shows the page, never sends the
form again) in a second cookie, sealed the same way and bound to the session; the page
that shows it deletes it, so a reload or another session never shows it again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from hookline.crypto import SecretBox

COOKIE = "hookline_session"
FLASH_COOKIE = "hookline_flash"
FLASH_LIFETIME = timedelta(minutes=5)
COOKIE_PATH = "/ui"
LIFETIME = timedelta(hours=12)
HOME = "/ui"


@dataclass(frozen=True, slots=True)
class Credentials:
    session_id: str
    key: str

    @property
    def csrf_token(self) -> str:
        return hmac.new(
            self.key.encode(), f"hookline-ui-csrf:{self.session_id}".encode(), hashlib.sha256
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
    session_id, dot, key = plain.partition(".")
    if not (session_id and dot and key):
        return None
    return Credentials(session_id, key)


def start(response: Response, request: Request, session_id: str, key: str) -> None:
    """Sign the browser in to the open session `session_id` with `key`; Secure whenever the
    page was served over https."""
    response.set_cookie(
        COOKIE,
        _box(request).encrypt(f"{session_id}.{key}").decode(),
        max_age=int(LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def end(response: Response, request: Request) -> None:
    for name in (COOKIE, FLASH_COOKIE):
        response.delete_cookie(
            name, path=COOKIE_PATH, secure=request.url.scheme == "https", httponly=True, samesite="strict"
        )


def flash(response: Response, request: Request, credentials: Credentials, **shown: Any) -> None:
    """Hand `shown` (JSON values) to the next page of this session, once."""
    sealed = _box(request).encrypt(json.dumps({"session": credentials.session_id, "shown": shown}))
    response.set_cookie(
        FLASH_COOKIE,
        sealed.decode(),
        max_age=int(FLASH_LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def flashed(request: Request, credentials: Credentials) -> dict[str, Any] | None:
    """What the previous form post of this session handed on, if anything."""
    sealed = request.cookies.get(FLASH_COOKIE, "")
    if not sealed:
        return None
    try:
        sent = json.loads(_box(request).decrypt(sealed.encode()))
    except ValueError:
        return None
    if not isinstance(sent, dict) or sent.get("session") != credentials.session_id:
        return None
    shown = sent.get("shown")
    return shown if isinstance(shown, dict) else None


def forget_flash(response: Response, request: Request) -> None:
    """Delete the handed-on result once a page has shown it."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(
            FLASH_COOKIE,
            path=COOKIE_PATH,
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
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
