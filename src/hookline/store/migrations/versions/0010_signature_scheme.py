"""Ed25519 signing (Standard Webhooks v1a): each registration's scheme and its public key.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: SQLite can add a NOT NULL column with a default in place,
    # while a batch would copy and drop webhook_registrations, which the webhooks' foreign keys
    # refuse as soon as rows exist.
    op.add_column(
        "webhook_registrations",
        sa.Column("signature_scheme", sa.String(8), nullable=False, server_default=sa.text("'v1'")),
    )
    op.add_column("webhook_registrations", sa.Column("signing_public_key", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_column("signing_public_key")
        batch_op.drop_column("signature_scheme")
