"""What makes two registrations identical, reduced to one comparable digest."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from hookline.domain.enums import AuthorizationType, WebhookEventType


def registration_fingerprint(
    normalized_target_url: str,
    events: Iterable[tuple[str, WebhookEventType]],
    authorization_type: AuthorizationType,
    username: str | None,
) -> str:
    """Same normalized URL, same set of events, same authorization type and username."""
    parts = [normalized_target_url, str(authorization_type.value), username or ""]
    parts += sorted({f"{name.casefold()}:{kind.value}" for name, kind in events})
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
