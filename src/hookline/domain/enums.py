"""The contract's enumerations, with exactly the numeric ids of ../shared/API.md."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self


def _squash(name: str) -> str:
    return name.replace("_", "").replace(" ", "").lower()


class ContractEnum(IntEnum):
    """Serialized as the numeric id; parsed from the id or the case-insensitive name."""

    @classmethod
    def parse(cls, value: object) -> Self:
        if isinstance(value, float) and value.is_integer():  # JSON's 2.0 is the integer 2
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        elif isinstance(value, str):
            text = value.strip()
            # ASCII only: str.isdigit() also takes "²" and "٣"; int() refuses over 4300 digits
            if text.isascii() and text.isdigit() and len(text) <= 18:
                return cls.parse(int(text))
            for member in cls:
                if _squash(member.name) == _squash(text):
                    return member
        raise ValueError(f"must be one of {cls.describe()}")

    @classmethod
    def describe(cls) -> str:
        return ", ".join(f"{m.value} ({m.label})" for m in cls)

    @property
    def label(self) -> str:
        """The contract's name, e.g. `AddToRelation`."""
        return self.name.title().replace("_", "")


class WebhookEventType(ContractEnum):
    CREATED = 1
    UPDATED = 2
    DELETED = 3
    REPLACE_RELATION = 4
    ADD_TO_RELATION = 5
    REMOVE_FROM_RELATION = 6


class WebhookState(ContractEnum):
    CREATED = 1
    RETRYING = 2
    SUCCESSFUL = 3
    FAILED = 4
    ABORTED = 5
    PENDING = 6
    RESOLVED = 7


class AuthorizationType(ContractEnum):
    NONE = 0
    BASIC = 1
    BEARER = 2
    OAUTH2 = 3
    """OAuth2 client credentials: hookline fetches the Bearer token (delivery/oauth2.py)."""

    @property
    def carries_credentials(self) -> bool:
        """Every type but None sends a secret, so every type added later is kept off plain http."""
        return self is not AuthorizationType.NONE

    @property
    def label(self) -> str:
        return "OAuth2" if self is AuthorizationType.OAUTH2 else super().label


class Role(ContractEnum):
    """API key roles; serialized by name in the API, stored by id."""

    ADMIN = 1  # the operator of every organization
    PUBLISHER = 2
    SUBSCRIBER = 3
    OWNER = 4  # one organization's administrator: its keys, registrations and webhooks

    @property
    def grantable_by_owner(self) -> bool:
        """An owner hands out keys of its own organization, never the operator's role."""
        return self is not Role.ADMIN


class SignatureScheme(StrEnum):
    """How a registration's requests are signed (Standard Webhooks); on the wire by this text."""

    V1 = "v1"
    """HMAC-SHA256 with a shared `whsec_` secret."""
    V1A = "v1a"
    """Ed25519: hookline keeps the private key, receivers verify with the `whpk_` public key."""
