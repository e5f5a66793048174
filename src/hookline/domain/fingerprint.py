"""What makes two registrations, or two publications of one event id, identical: one digest."""

from __future__ import annotations

import hashlib
import json
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


def event_fingerprint(
    entity_name: str,
    type_: WebhookEventType,
    entity_id: str,
    group_key: str | None,
    occurred_at: str | None,
    data: object,
    relation: object = None,
) -> str:
    """What a publisher sent for one event id, as given (`occurred_at` None when left out, so a
    plain resend later is still the same content); object keys in any order."""
    content = [entity_name, type_.value, entity_id, group_key, occurred_at, data, relation]
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
