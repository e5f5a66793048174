"""What makes two registrations, or two publications of one event id, identical: one digest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from hookline.domain.enums import AuthorizationType, WebhookEventType
from hookline.domain.subscriptions import EVERY, EventSelection


def registration_fingerprint(
    normalized_target_url: str,
    events: Iterable[EventSelection],
    authorization_type: AuthorizationType,
    username: str | None,
    headers_digest: str = "",
) -> str:
    """Same normalized URL, same set of events (entity, type, `*` for either, and filter, in
    canonical form, so any spelling or order of one set is the same), same authorization type
    and username, and the same custom headers: `headers_digest`, a keyed digest of names and
    values made by the caller ("" for none). A plain entry, without `*` or a filter, counts as
    it always did, so existing registrations keep their fingerprints."""
    parts = [normalized_target_url, str(authorization_type.value), username or ""]
    parts += sorted({_entry(event) for event in events})
    if headers_digest:
        parts.append(f"headers:{headers_digest}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _entry(event: EventSelection) -> str:
    kind = EVERY if event.type is None else str(event.type.value)
    text = f"{event.entity_name.casefold()}:{kind}"
    return text if event.filter is None else f"{text}:{event.filter}"


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
