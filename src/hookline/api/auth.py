"""Bearer API keys and the roles allowed on each endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hookline.api.access import Admission, admitted_principal, client_address
from hookline.domain.enums import Role
from hookline.domain.errors import Forbidden, InvalidInput
from hookline.service import Hookline, Principal

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer hl_...`")


async def hookline_of(request: Request) -> Hookline:
    """Async on purpose: FastAPI runs plain `def` dependencies in a thread pool."""
    service: Hookline = request.app.state.hookline
    return service


Service = Annotated[Hookline, Depends(hookline_of)]


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The principal AccessGuard admitted before the body was read; decided here only when the
    guard could not decide (the database did not answer), so the failure is answered as usual."""
    found = admitted_principal(request.scope)
    if found is not None:
        return found
    admission: Admission = request.app.state.admission
    key = credentials.credentials if credentials is not None else None
    return await admission.admit(key, client_address(request.scope))


def allow(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only `roles`; admin and owner are always admitted (an owner is
    confined to its organization like every key but admin's)."""
    admitted = {Role.ADMIN, Role.OWNER, *roles}

    async def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        if caller.role not in admitted:
            names = ", ".join(sorted(role.name.lower() for role in admitted))
            raise Forbidden(f"this needs one of the roles: {names}")
        return caller

    return check


KeyManager = Annotated[Principal, Depends(allow())]
Publisher = Annotated[Principal, Depends(allow(Role.PUBLISHER))]
Subscriber = Annotated[Principal, Depends(allow(Role.SUBSCRIBER))]
AnyRole = Annotated[Principal, Depends(allow(Role.PUBLISHER, Role.SUBSCRIBER))]


def acting_organization(caller: Principal, requested: str | None) -> str:
    """The organization a write acts for: the key's own, or any one an admin names."""
    if caller.organization_id is None:
        if not requested:
            raise InvalidInput.one("organizationId", "is required for admin keys")
        return requested
    if requested and requested != caller.organization_id:
        raise Forbidden("this key acts only for its own organization")
    return caller.organization_id


def reading_scope(caller: Principal, requested: str | None) -> str | None:
    """The organization a read is confined to; admins may narrow to one with `organizationId`.

    Naming another organization is refused like it is for writes, rather than silently
    answering the key's own data as if it were the other organization's.
    """
    if caller.organization_id is None:
        return requested or None
    if requested and requested != caller.organization_id:
        raise Forbidden("this key reads only its own organization")
    return caller.organization_id
