"""What use cases answer beyond single store records: a Webhook with its body, an event with
its Webhooks, a group waiting behind a Webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hookline.domain.records import DomainEvent, Webhook


@dataclass(frozen=True, slots=True)
class WebhookDetail:
    webhook: Webhook
    payload: dict[str, Any]
    """The JSON body as sent, or as it will be sent (a coalesced Webhook carries its newest event)."""
    blocked_by: Webhook | None
    """The oldest Webhook holding back this Pending Webhook's group; None when nothing does."""


@dataclass(frozen=True, slots=True)
class EventView:
    event: DomainEvent
    webhooks: list[Webhook]
    """Every Webhook the event made, oldest first."""


@dataclass(frozen=True, slots=True)
class BlockedGroup:
    group_key: str
    pending: int
    """How many of its Webhooks wait in Pending."""
    oldest_pending_at: datetime
    blocker: Webhook | None
    """The oldest Webhook holding the group back (Failed: it needs a hand; Created or
    Retrying: it is on its way); None when nothing before the Pending ones does, or the
    registration is paused (the pause holds them until it is resumed)."""
