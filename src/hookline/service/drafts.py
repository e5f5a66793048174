"""The inputs of the use cases, as the API, UI and CLI hand them over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from hookline.domain.enums import AuthorizationType, SignatureScheme, WebhookEventType
from hookline.domain.subscriptions import EventChoice


@dataclass(frozen=True, slots=True)
class TargetAuthorization:
    authorization_type: AuthorizationType = AuthorizationType.NONE
    username: str | None = None
    password: str | None = None
    token: str | None = None
    """Bearer only."""
    token_url: str | None = None
    """OAuth2 only, like the rest: where hookline fetches tokens, as `client_id`."""
    client_id: str | None = None
    client_secret: str | None = None
    scope: str | None = None
    audience: str | None = None


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """A client certificate (with its chain) and its private key, in PEM, for mutual TLS."""

    certificate: str
    private_key: str


@dataclass(frozen=True, slots=True)
class RegistrationDraft:
    organization_id: str
    target_url: str
    enabled_events: list[EventChoice]
    should_group: bool = False
    should_group_continue_after_fail: bool = False
    coalesce_updates: bool = False
    """A newer Updated event of an entity replaces a still-waiting Updated Webhook's payload."""
    target_authorization: TargetAuthorization = field(default_factory=TargetAuthorization)
    description: str | None = None
    expires_at: datetime | None = None
    is_paused: bool = False
    """Created paused: its Webhooks wait in Pending until it is resumed."""
    retry_schedule: tuple[str, ...] | None = None
    """Its own delays between attempts (`()`: a single attempt); None: HOOKLINE_RETRY_SCHEDULE."""
    max_requests_per_second: int | None = None
    """A ceiling on requests per second to its target, across workers; None: unlimited."""
    headers: dict[str, str] = field(default_factory=dict)
    """Static headers added to every request; the values are write-only."""
    verify: bool = False
    """Send a signed test webhook first and refuse the registration unless it answers 2xx."""
    client_certificate: ClientCertificate | None = None
    signature_scheme: SignatureScheme = SignatureScheme.V1


@dataclass(frozen=True, slots=True)
class RegistrationChanges:
    """A PATCH: only the fields that are set change."""

    target_url: str | None = None
    enabled_events: list[EventChoice] | None = None
    should_group: bool | None = None
    should_group_continue_after_fail: bool | None = None
    coalesce_updates: bool | None = None
    target_authorization: TargetAuthorization | None = None
    headers: dict[str, str | None] | None = None
    """Replaces the set; a None value keeps that name's stored value."""
    description: str | None = None
    clear_description: bool = False
    is_active: bool | None = None
    is_paused: bool | None = None
    retry_schedule: tuple[str, ...] | None = None
    clear_retry_schedule: bool = False
    """Back to HOOKLINE_RETRY_SCHEDULE."""
    max_requests_per_second: int | None = None
    clear_max_requests_per_second: bool = False
    """Back to unlimited."""
    expires_at: datetime | None = None
    clear_expires_at: bool = False
    client_certificate: ClientCertificate | None = None
    clear_client_certificate: bool = False


@dataclass(frozen=True, slots=True)
class RegistrationFilter:
    target_url: str | None = None
    """Matches exactly, after normalization."""
    entity_name: str | None = None
    type: WebhookEventType | None = None
    is_active: bool | None = None
    query: str | None = None
    """A case-insensitive substring of the target URL or the description."""


@dataclass(frozen=True, slots=True)
class Relation:
    """Which relation of the entity a relation event (types 4..6) changed, and with which ids."""

    name: str
    ids: tuple[str, ...]
    entity_name: str | None = None
    """The related entity's name, when the host platform says."""


@dataclass(frozen=True, slots=True)
class EventDraft:
    organization_id: str
    entity_name: str
    type: WebhookEventType
    entity_id: str
    idempotency_id: str | None = None
    group_key: str | None = None
    occurred_at: datetime | None = None
    data: object = None
    relation: Relation | None = None
    traceparent: str | None = None
    """The publisher's W3C `traceparent` header, as received (an invalid one is ignored)."""
