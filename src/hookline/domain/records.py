"""What the store hands out: plain, immutable records, decoupled from SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from hookline.domain.enums import AuthorizationType, Role, WebhookEventType, WebhookState


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    organization_id: str
    role: Role
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class EnabledEvent:
    id: str
    entity_name: str
    type: WebhookEventType


@dataclass(frozen=True, slots=True)
class Registration:
    id: str
    organization_id: str
    target_url: str
    normalized_target_url: str
    description: str | None
    enabled_events: tuple[EnabledEvent, ...]
    should_group: bool
    should_group_continue_after_fail: bool
    coalesce_updates: bool
    authorization_type: AuthorizationType
    username: str | None
    is_active: bool
    disabled_reason: str | None
    expires_at: datetime | None
    failing_since: datetime | None
    paused_at: datetime | None
    retry_schedule: tuple[str, ...] | None
    """Its own retry delays (empty: no retries); None: the service's schedule."""
    created_at: datetime
    updated_at: datetime

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    organization_id: str
    registration_id: str
    webhook_event_id: str
    event_id: str
    entity_name: str
    type: WebhookEventType
    entity_id: str
    group_key: str
    state: WebhookState
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    id: str
    webhook_id: str
    attempt_number: int
    started_at: datetime
    duration_ms: int
    response_status: int | None
    response_body: str | None
    error: str | None
    succeeded: bool


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    page_number: int
    page_size: int
    total_count: int

    @property
    def total_pages(self) -> int:
        return -(-self.total_count // self.page_size)


@dataclass(frozen=True, slots=True)
class WebhookFilter:
    organization_id: str | None = None
    registration_id: str | None = None
    state: WebhookState | None = None
    entity_name: str | None = None
    entity_id: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimedWebhook:
    """Everything a worker needs to send one attempt, read in the claim's batch."""

    id: str
    delivery_id: str
    """The `webhook-id` header: the Webhook's id, or a new one for each payload taken over."""
    lease_token: str
    attempt_number: int
    attempt_limit: int
    organization_id: str
    registration_id: str
    group_key: str
    should_group: bool
    continue_after_fail: bool
    paused: bool
    """Its registration is paused: the worker holds it in Pending instead of sending it."""
    retry_schedule: str | None
    """Its registration's own retry delays as stored; None: the service's."""
    target_url: str
    signing_secret: bytes
    retired_signing_secrets: bytes | None
    authorization_type: AuthorizationType
    username: str | None
    encrypted_password: bytes | None
    event_id: str
    entity_name: str
    type: WebhookEventType
    entity_id: str
    occurred_at: datetime
    payload: str
    relation: str | None
    """The event's `relation` as stored JSON (relation events only)."""
