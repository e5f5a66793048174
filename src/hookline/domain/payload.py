"""The request body: rendered the same way on every attempt, so its bytes never change."""

from __future__ import annotations

import json
from datetime import UTC, datetime


def format_instant(instant: datetime) -> str:
    """ISO-8601 UTC with a `Z`, milliseconds only when present: `2026-11-29T12:00:00Z`."""
    naive = instant.astimezone(UTC).replace(tzinfo=None)  # isoformat then writes no offset
    return naive.isoformat(timespec="milliseconds" if naive.microsecond else "seconds") + "Z"


def render_body(
    *,
    webhook_id: str,
    registration_id: str,
    organization_id: str,
    event_id: str,
    entity_name: str,
    type_: int,
    entity_id: str,
    occurred_at: datetime,
    data_json: str,
    relation_json: str | None = None,
) -> bytes:
    """`data_json` (and `relation_json`, for relation events) are stored, already-serialized
    JSON, spliced in without re-parsing."""
    head = json.dumps(
        {
            "id": webhook_id,
            "registrationId": registration_id,
            "organizationId": organization_id,
            "eventId": event_id,
            "entityName": entity_name,
            "type": type_,
            "entityId": entity_id,
            "occurredAt": format_instant(occurred_at),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    relation = f',"relation":{relation_json}' if relation_json is not None else ""
    return f'{head[:-1]}{relation},"data":{data_json}}}'.encode()
