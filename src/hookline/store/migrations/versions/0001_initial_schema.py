"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 19:25:42.293367
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=200), nullable=False),
        sa.Column("role", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_api_keys_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "domain_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=200), nullable=False),
        sa.Column("idempotency_id", sa.String(length=200), nullable=True),
        sa.Column("entity_name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.SmallInteger(), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("group_key", sa.String(length=400), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_domain_events_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_events")),
        sa.UniqueConstraint(
            "organization_id", "idempotency_id", name=op.f("uq_domain_events_organization_id_idempotency_id")
        ),
    )
    op.create_table(
        "webhook_registrations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=200), nullable=False),
        sa.Column("target_url", sa.String(length=2048), nullable=False),
        sa.Column("normalized_target_url", sa.String(length=2100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("should_group", sa.Boolean(), nullable=False),
        sa.Column("should_group_continue_after_fail", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("signing_secret", sa.LargeBinary(), nullable=False),
        sa.Column("retired_signing_secrets", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_registrations_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_registrations")),
    )
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_registrations_org_created", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_webhook_registrations_org_target", ["organization_id", "normalized_target_url"], unique=False
        )
        batch_op.create_index(
            "uq_webhook_registrations_live_fingerprint",
            ["organization_id", "fingerprint"],
            unique=True,
            sqlite_where=sa.text("is_active AND deleted_at IS NULL"),
            postgresql_where=sa.text("is_active AND deleted_at IS NULL"),
        )

    op.create_table(
        "webhook_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("registration_id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=200), nullable=False),
        sa.Column("entity_name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.SmallInteger(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["webhook_registrations.id"],
            name=op.f("fk_webhook_events_registration_id_webhook_registrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint(
            "registration_id",
            "entity_name",
            "type",
            name=op.f("uq_webhook_events_registration_id_entity_name_type"),
        ),
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_events_match", ["organization_id", "entity_name", "type"], unique=False
        )

    op.create_table(
        "webhook_target_authorizations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("registration_id", sa.String(length=40), nullable=False),
        sa.Column("authorization_type", sa.SmallInteger(), nullable=False),
        sa.Column("username", sa.String(length=500), nullable=True),
        sa.Column("encrypted_password", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["webhook_registrations.id"],
            name=op.f("fk_webhook_target_authorizations_registration_id_webhook_registrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_target_authorizations")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_webhook_target_authorizations_registration_id")),
    )
    op.create_table(
        "webhooks",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=200), nullable=False),
        sa.Column("registration_id", sa.String(length=40), nullable=False),
        sa.Column("webhook_event_id", sa.String(length=40), nullable=False),
        sa.Column("domain_event_id", sa.String(length=40), nullable=False),
        sa.Column("group_key", sa.String(length=400), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("attempt_limit", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_event_id"], ["domain_events.id"], name=op.f("fk_webhooks_domain_event_id_domain_events")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["webhook_registrations.id"],
            name=op.f("fk_webhooks_registration_id_webhook_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_event_id"],
            ["webhook_events.id"],
            name=op.f("fk_webhooks_webhook_event_id_webhook_events"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_webhooks")),
        sa.UniqueConstraint(
            "domain_event_id", "webhook_event_id", name=op.f("uq_webhooks_domain_event_id_webhook_event_id")
        ),
        sa.UniqueConstraint("id", name=op.f("uq_webhooks_id")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhooks_due",
            ["next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("state IN (1, 2)"),
            postgresql_where=sa.text("state IN (1, 2)"),
        )
        batch_op.create_index("ix_webhooks_group", ["registration_id", "group_key", "seq"], unique=False)
        batch_op.create_index("ix_webhooks_org_seq", ["organization_id", "seq"], unique=False)
        batch_op.create_index("ix_webhooks_org_state", ["organization_id", "state"], unique=False)

    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("webhook_id", sa.String(length=40), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name=op.f("fk_webhook_attempts_webhook_id_webhooks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
        sa.UniqueConstraint(
            "webhook_id", "attempt_number", name=op.f("uq_webhook_attempts_webhook_id_attempt_number")
        ),
    )


def downgrade() -> None:

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index("ix_webhooks_org_state")
        batch_op.drop_index("ix_webhooks_org_seq")
        batch_op.drop_index("ix_webhooks_group")
        batch_op.drop_index(
            "ix_webhooks_due",
            sqlite_where=sa.text("state IN (1, 2)"),
            postgresql_where=sa.text("state IN (1, 2)"),
        )

    op.drop_table("webhooks")
    op.drop_table("webhook_target_authorizations")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_match")

    op.drop_table("webhook_events")
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_webhook_registrations_live_fingerprint",
            sqlite_where=sa.text("is_active AND deleted_at IS NULL"),
            postgresql_where=sa.text("is_active AND deleted_at IS NULL"),
        )
        batch_op.drop_index("ix_webhook_registrations_org_target")
        batch_op.drop_index("ix_webhook_registrations_org_created")

    op.drop_table("webhook_registrations")
    op.drop_table("domain_events")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_organization_id"))

    op.drop_table("api_keys")
    op.drop_table("organizations")
