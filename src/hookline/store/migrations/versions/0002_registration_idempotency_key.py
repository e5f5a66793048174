"""Registrations remember the Idempotency-Key they were created with.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_webhook_registrations_organization_id_idempotency_key"),
            ["organization_id", "idempotency_key"],
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_webhook_registrations_organization_id_idempotency_key"), type_="unique"
        )
        batch_op.drop_column("request_digest")
        batch_op.drop_column("idempotency_key")
