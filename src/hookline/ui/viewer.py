"""Who is looking: the signed-in key behind a page, as a FastAPI dependency.

Every page but the sign-in form needs the sign-in cookie (see `hookline.ui.session`). The
signed-in key's organization confines what is shown exactly as in the API: an admin sees every
organization, any other key only its own, and another organization's ids answer 404. Publisher
keys cannot read webhooks, so they only get a page that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hookline.domain.enums import Role
from hookline.service import Hookline, Principal
from hookline.ui import session
from hookline.ui.session import Credentials


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in key and the CSRF token of its session."""

    principal: Principal
    credentials: Credentials

    @property
    def is_admin(self) -> bool:
        return self.principal.organization_id is None

    @property
    def scope(self) -> str | None:
        return self.principal.organization_id

    @property
    def csrf_token(self) -> str:
        return self.credentials.csrf_token

    def reading_scope(self, requested: str | None) -> str | None:
        """Like the API: admins may narrow to one organization, others are confined to theirs."""
        return (requested or None) if self.is_admin else self.scope


class SignInRequired(Exception):
    """No valid sign-in cookie: go to the sign-in form."""


class PublisherOnly(Exception):
    """A publisher key is signed in; it may not read webhooks."""


def hookline_of(request: Request) -> Hookline:
    service: Hookline = request.app.state.hookline
    return service


async def optional_viewer(request: Request) -> Viewer | None:
    credentials = session.read(request)
    if credentials is None:
        return None
    service = hookline_of(request)
    if not await service.ui_session_is_open(credentials.session_id):  # signed out, or expired
        return None
    principal = await service.authenticate(credentials.key)
    if principal is None:
        return None
    viewer = Viewer(principal, credentials)
    request.state.viewer = viewer
    return viewer


async def _viewer(request: Request) -> Viewer:
    viewer = await optional_viewer(request)
    if viewer is None:
        raise SignInRequired
    if viewer.principal.role is Role.PUBLISHER:
        raise PublisherOnly
    return viewer


Signed = Annotated[Viewer, Depends(_viewer)]
