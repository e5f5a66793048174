"""Per-registration throttling: the ceiling on each registration, and the token buckets every
worker draws from.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_requests_per_second", sa.Integer(), nullable=True))
    op.create_table(
        "registration_throttles",
        sa.Column("registration_id", sa.String(length=40), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["webhook_registrations.id"],
            name=op.f("fk_registration_throttles_registration_id_webhook_registrations"),
        ),
        sa.PrimaryKeyConstraint("registration_id", name=op.f("pk_registration_throttles")),
    )


def downgrade() -> None:
    op.drop_table("registration_throttles")
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_column("max_requests_per_second")
