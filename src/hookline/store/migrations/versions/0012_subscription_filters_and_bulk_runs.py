"""Wildcards and filters in subscriptions: a `*` entity or type needs no new column (the type
`*` is kept as 0), a filter is the entry's canonical JSON. And the progress of long bulk actions.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable): a SQLite batch would recreate webhook_events, which the
    # webhooks' foreign key refuses to drop once rows exist.
    op.add_column("webhook_events", sa.Column("filter", sa.Text(), nullable=True))
    op.create_table(
        "bulk_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("registration_id", sa.String(length=40), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("interrupted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_runs")),
    )


def downgrade() -> None:
    op.drop_table("bulk_runs")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_column("filter")
