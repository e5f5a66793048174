"""Every table of hookline; indexes follow the queries that use them (see each module)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from hookline.domain.enums import WebhookState
from hookline.store.types import BigId, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 40  # our ids are prefixed, URL-safe random strings well under this
_DUE_STATES = f"state IN ({WebhookState.CREATED.value}, {WebhookState.RETRYING.value})"
UNFINISHED_STATES = (
    f"state IN ({WebhookState.CREATED.value}, {WebhookState.RETRYING.value}, {WebhookState.PENDING.value})"
)
"""Also what the backlog gauges count, through ix_webhooks_unfinished (its size follows the backlog)."""
_ENDED_STATES = "state IN ({})".format(
    ", ".join(
        str(s.value)
        for s in (WebhookState.SUCCESSFUL, WebhookState.FAILED, WebhookState.ABORTED, WebhookState.RESOLVED)
    )
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False, index=True),
    Column("role", SmallInteger, nullable=False),
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

webhook_registrations = Table(
    "webhook_registrations",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False),
    Column("target_url", String(2048), nullable=False),
    Column("normalized_target_url", String(2100), nullable=False),
    Column("description", String(1000)),
    Column("should_group", Boolean, nullable=False),
    Column("should_group_continue_after_fail", Boolean, nullable=False),
    Column("coalesce_updates", Boolean, nullable=False, server_default=text("false")),
    Column("is_active", Boolean, nullable=False),
    Column("disabled_reason", String(500)),
    Column("expires_at", UtcDateTime),
    # When the current streak of failed attempts began; NULL once an attempt succeeds.
    Column("failing_since", UtcDateTime),
    # Set while paused: its Webhooks wait in Pending; see service/registrations.py.
    Column("paused_at", UtcDateTime),
    # Its own retry delays ("10s,1m"; "" for none), NULL for HOOKLINE_RETRY_SCHEDULE.
    Column("retry_schedule", String(400)),
    Column("fingerprint", String(64), nullable=False),
    Column("signing_secret", LargeBinary, nullable=False),
    Column("retired_signing_secrets", LargeBinary),  # encrypted; see domain/rotation.py
    # "v1" (HMAC) or "v1a" (Ed25519, whose public key is kept in the clear to show it on reads)
    Column("signature_scheme", String(8), nullable=False, server_default=text("'v1'")),
    Column("signing_public_key", String(100)),
    # Custom request headers: the names as a JSON list (shown), the whole object encrypted.
    Column("custom_header_names", Text),
    Column("encrypted_custom_headers", LargeBinary),
    # A ceiling on requests per second to its target, across workers; NULL: unlimited.
    Column("max_requests_per_second", Integer),
    # Mutual TLS: certificate chain and key as one encrypted PEM bundle; subject and expiry shown.
    Column("encrypted_client_certificate", LargeBinary),
    Column("client_certificate_subject", String(1000)),
    Column("client_certificate_not_after", UtcDateTime),
    Column("client_certificate_warned_at", UtcDateTime),  # when its expiry was announced
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime),
    Column("idempotency_key", String(200)),
    Column("request_digest", String(64)),
    Index("ix_webhook_registrations_org_created", "organization_id", "created_at"),
    UniqueConstraint("organization_id", "idempotency_key"),
    Index("ix_webhook_registrations_org_target", "organization_id", "normalized_target_url"),
    # Two identical live registrations cannot exist, even when created concurrently.
    Index(
        "uq_webhook_registrations_live_fingerprint",
        "organization_id",
        "fingerprint",
        unique=True,
        sqlite_where=text("is_active AND deleted_at IS NULL"),
        postgresql_where=text("is_active AND deleted_at IS NULL"),
    ),
)

webhook_target_authorizations = Table(
    "webhook_target_authorizations",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("registration_id", ForeignKey("webhook_registrations.id"), nullable=False, unique=True),
    Column("authorization_type", SmallInteger, nullable=False),
    Column("username", String(500)),  # the Basic username or the OAuth2 client id
    # The Basic password, the Bearer token or the OAuth2 client secret, encrypted.
    Column("encrypted_password", LargeBinary),
    Column("token_url", String(2048)),  # OAuth2 only, with its optional scope and audience
    Column("scope", String(1000)),
    Column("audience", String(1000)),
)

registration_throttles = Table(
    "registration_throttles",
    metadata,
    # The token bucket of a throttled registration (domain/throttle.py), shared by every worker:
    # debited in the claim's transaction, row locked on PostgreSQL (store/throttles.py).
    Column("registration_id", ForeignKey("webhook_registrations.id"), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("registration_id", ForeignKey("webhook_registrations.id"), nullable=False),
    Column("organization_id", String(200), nullable=False),
    Column("entity_name", String(200), nullable=False),
    Column("type", SmallInteger, nullable=False),  # 0: every type (see domain/subscriptions.py)
    Column("enabled", Boolean, nullable=False),
    Column("filter", Text),  # canonical JSON of its data filter; NULL: none
    UniqueConstraint("registration_id", "entity_name", "type"),
    Index("ix_webhook_events_match", "organization_id", "entity_name", "type"),
)

domain_events = Table(
    "domain_events",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id"), nullable=False),
    Column("idempotency_id", String(200)),
    Column("entity_name", String(200), nullable=False),
    Column("type", SmallInteger, nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("group_key", String(400)),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    Column("relation", Text),  # JSON {name, ids, entityName?} of relation events (types 4..6)
    # SHA-256 of what the publisher sent, so a reused `id` with other content is refused.
    Column("content_digest", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    # W3C `traceparent` the event's deliveries continue (see tracing.py); version 00 is 55 chars.
    Column("traceparent", String(55)),
    UniqueConstraint("organization_id", "idempotency_id"),
    Index("ix_domain_events_org_created", "organization_id", "created_at"),
    Index("ix_domain_events_created", "created_at"),  # retention
)

webhooks = Table(
    "webhooks",
    metadata,
    # `seq` orders a group: assigned by the database, so concurrent publishers cannot misorder it.
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("id", String(ID), nullable=False, unique=True),
    Column("organization_id", String(200), nullable=False),
    Column("registration_id", ForeignKey("webhook_registrations.id"), nullable=False),
    Column("webhook_event_id", ForeignKey("webhook_events.id"), nullable=False),
    Column("domain_event_id", ForeignKey("domain_events.id"), nullable=False),
    Column("group_key", String(400), nullable=False),
    Column("state", SmallInteger, nullable=False),
    Column("attempt_count", Integer, nullable=False),
    Column("attempt_limit", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("lease_expires_at", UtcDateTime),
    Column("lease_token", String(ID)),
    # entityName:entityId, set only for registrations that coalesce updates (see fanout.py).
    Column("supersession_key", String(401)),
    # The `webhook-id` header when it differs from `id`: a new one for each payload taken over.
    Column("delivery_id", String(ID)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("domain_event_id", "webhook_event_id"),
    Index(
        "ix_webhooks_due",
        "next_attempt_at",
        sqlite_where=text(_DUE_STATES),
        postgresql_where=text(_DUE_STATES),
    ),
    Index("ix_webhooks_group", "registration_id", "group_key", "seq"),
    Index("ix_webhooks_org_seq", "organization_id", "seq"),
    Index("ix_webhooks_org_state", "organization_id", "state"),
    # A registration's backlog and its waiting groups, without walking its ended Webhooks.
    Index(
        "ix_webhooks_unfinished",
        "registration_id",
        "state",
        "group_key",
        sqlite_where=text(UNFINISHED_STATES),
        postgresql_where=text(UNFINISHED_STATES),
    ),
    Index(
        "ix_webhooks_supersession",
        "registration_id",
        "supersession_key",
        "seq",
        sqlite_where=text("supersession_key IS NOT NULL"),
        postgresql_where=text("supersession_key IS NOT NULL"),
    ),
    Index(
        "ix_webhooks_ended",
        "updated_at",
        sqlite_where=text(_ENDED_STATES),
        postgresql_where=text(_ENDED_STATES),
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("webhook_id", ForeignKey("webhooks.id"), nullable=False),
    # Copied from the Webhook, so health figures read one index range per registration or
    # organization and time window instead of joining every Webhook the registration ever had.
    Column("registration_id", String(ID), nullable=False),
    Column("organization_id", String(200), nullable=False),
    Column("attempt_number", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("response_status", Integer),
    Column("response_body", Text),
    Column("error", String(500)),
    Column("succeeded", Boolean, nullable=False),
    Column("request_headers", Text),  # JSON object, secrets masked (delivery/request.py)
    Column("response_headers", Text),  # JSON object, bounded (delivery/sender.py)
    UniqueConstraint("webhook_id", "attempt_number"),
    Index("ix_webhook_attempts_registration_started", "registration_id", "started_at"),
    Index("ix_webhook_attempts_org_started", "organization_id", "started_at"),
)

ui_sessions = Table(
    "ui_sessions",
    metadata,
    # SHA-256 of the session id the browser holds: a read database never signs anyone in.
    Column("id_hash", String(64), primary_key=True),
    Column("key_id", String(ID)),  # None for the bootstrap admin key
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_ui_sessions_expires", "expires_at"),  # purging
)

secret_key_check = Table(
    "secret_key_check",
    metadata,
    # One row, written once: a value encrypted with the secret key, so a process started with
    # another key notices at start instead of failing on every Webhook (see store/key_check.py).
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("token", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Progress of a long bulk action (domain/bulk_runs.py), read by id only.
bulk_runs = Table(
    "bulk_runs",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("organization_id", String(200)),  # NULL: an admin's, over every organization
    Column("action", String(20), nullable=False),
    Column("registration_id", String(ID)),
    Column("total", Integer, nullable=False),
    Column("done", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("interrupted", Boolean, nullable=False, server_default=text("false")),
)
