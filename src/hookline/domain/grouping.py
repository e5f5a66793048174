"""Grouping: which Webhooks share an ordered lane."""

from __future__ import annotations


def group_key_of(entity_name: str, entity_id: str, group_key: str | None) -> str:
    """The event's own `groupKey`, else `entityName:entityId`, so one entity's changes stay in order."""
    return group_key if group_key else f"{entity_name}:{entity_id}"
