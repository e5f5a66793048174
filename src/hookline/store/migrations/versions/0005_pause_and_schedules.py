"""Pause, per-registration retry schedules, one payload per webhook-id, event content and
relations, and the secret key's check value.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("retry_schedule", sa.String(length=400), nullable=True))
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("domain_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("relation", sa.Text(), nullable=True))
    op.create_table(
        "secret_key_check",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_secret_key_check")),
    )


def downgrade() -> None:
    op.drop_table("secret_key_check")
    with op.batch_alter_table("domain_events", schema=None) as batch_op:
        batch_op.drop_column("relation")
        batch_op.drop_column("content_digest")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("delivery_id")
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_column("retry_schedule")
        batch_op.drop_column("paused_at")
