"""What the store hands out: plain, immutable records, decoupled from SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from hookline.domain.credentials import CertificateSummary, OAuth2Client
from hookline.domain.enums import AuthorizationType, Role, SignatureScheme, WebhookEventType, WebhookState


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
    """The catalog's spelling, or `*` (every domain entity)."""
    type: WebhookEventType | None
    """None: every type (`*`)."""
    filter: str | None = None
    """Canonical JSON of its data filter (see domain/subscriptions.py); None: every event."""


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
    custom_header_names: tuple[str, ...] = ()
    """The names of its custom headers; their values are write-only."""
    max_requests_per_second: int | None = None
    """A ceiling on requests to its target, across workers; None: unlimited."""
    oauth2: OAuth2Client | None = None
    """OAuth2 client credentials (authorization type 3); the client secret is write-only."""
    client_certificate: CertificateSummary | None = None
    """The client certificate it presents for mutual TLS, if any."""
    signature_scheme: SignatureScheme = SignatureScheme.V1
    signing_public_key: str | None = None
    """v1a: the `whpk_` key its receivers verify with (its private key stays encrypted)."""

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
class DomainEvent:
    id: str
    organization_id: str
    idempotency_id: str | None
    """The `id` the publisher sent, if any."""
    entity_name: str
    type: WebhookEventType
    entity_id: str
    group_key: str | None
    occurred_at: datetime
    created_at: datetime
    data_json: str
    """The event's `data`, serialized once at publishing: the bytes every Webhook body carries."""
    relation_json: str | None
    """The event's `relation` as stored JSON (relation events only)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    id: str
    webhook_id: str
    registration_id: str
    organization_id: str
    attempt_number: int
    started_at: datetime
    duration_ms: int
    response_status: int | None
    response_body: str | None
    error: str | None
    succeeded: bool
    request_headers: dict[str, str]
    """As sent, secrets masked; empty for attempts recorded before headers were kept."""
    response_headers: dict[str, str] | None
    """Bounded; None when no response arrived (or before headers were kept)."""


@dataclass(frozen=True, slots=True)
class LastFailure:
    """The latest failed attempt of a window of health figures."""

    at: datetime
    webhook_id: str
    attempt_id: str
    attempt_number: int
    response_status: int | None
    error: str | None
    duration_ms: int


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
    type: WebhookEventType | None = None
    created_after: datetime | None = None
    """Inclusive."""
    created_before: datetime | None = None
    """Exclusive."""


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
    encrypted_secret: bytes | None
    """The Basic password, the Bearer token or the OAuth2 client secret, encrypted."""
    encrypted_headers: bytes | None
    """Its registration's custom headers, an encrypted JSON object."""
    event_id: str
    entity_name: str
    type: WebhookEventType
    entity_id: str
    occurred_at: datetime
    payload: str
    relation: str | None
    """The event's `relation` as stored JSON (relation events only)."""
    traceparent: str | None = None
    """The trace context of the event's fan-out, continued by this attempt."""
    oauth2: OAuth2Client | None = None
    """Where and as whom to fetch the Bearer token (type 3; `encrypted_secret` is the client secret)."""
    encrypted_client_certificate: bytes | None = None
    """The client certificate chain and key for mutual TLS, one encrypted PEM bundle."""
