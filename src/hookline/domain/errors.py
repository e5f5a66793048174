"""The errors of hookline's use cases; the API maps each kind to one HTTP status.

HooklineError
├── InvalidInput       422, with one message per field
├── NotFound           404, also for another organization's ids
├── Conflict           409, e.g. a duplicate registration or a forbidden transition
├── PayloadTooLarge    413
└── Forbidden          403, a role that may not do this

DatabaseUnavailable    503 with Retry-After: not the caller's fault, and gone in a moment
BlockedTarget          a target the SSRF guard refuses (registration answers it as 422)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class HooklineError(Exception):
    title = "Error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(HooklineError):
    title = "Invalid input"

    def __init__(self, errors: list[FieldError], detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors), **extra)
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls([FieldError(field, message)])


class NotFound(HooklineError):
    title = "Not found"


class Conflict(HooklineError):
    title = "Conflict"


class PayloadTooLarge(HooklineError):
    title = "Payload too large"


class Forbidden(HooklineError):
    title = "Forbidden"


class DatabaseUnavailable(Exception):
    """The database cannot be reached right now (down, restarting, the connection dropped, the
    pool exhausted); the store raises it for every such driver error. The message says why."""


class BlockedTarget(Exception):
    """The target resolves to an address hookline must not reach."""


@dataclass
class ErrorCollector:
    """Gathers every field error of one request so the caller hears of all of them at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str) -> None:
        self.errors.append(FieldError(field_name, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)
