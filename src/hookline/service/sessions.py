"""UI sessions held on the server: signing out (or their lifetime passing) ends them for good,
whatever a browser kept of the cookie."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from hookline.service.base import Principal, UseCases
from hookline.store import ui_sessions as sessions_store


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionUseCases(UseCases):
    async def open_ui_session(self, principal: Principal, lifetime: timedelta) -> str:
        """A new random session id (256 bits) for the cookie; only its hash is stored."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock.now()
        async with self.db.write() as conn:
            await sessions_store.open_session(conn, _hash(session_id), principal.key_id, now, now + lifetime)
        return session_id

    async def ui_session_is_open(self, session_id: str) -> bool:
        """False once closed, or past its lifetime by the injected clock."""
        async with self.db.read() as conn:
            return await sessions_store.session_is_open(conn, _hash(session_id), self.clock.now())

    async def close_ui_session(self, session_id: str) -> None:
        """Sign out: the session id stops working at once, in every process."""
        async with self.db.write() as conn:
            await sessions_store.close_session(conn, _hash(session_id))
