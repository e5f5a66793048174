"""Observability: the publisher's trace context on each domain event, continued by every
delivery attempt; an index of waiting Webhooks for the backlog gauges.

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

_WAITING = sa.text("state IN (1, 2, 6)")

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("domain_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("traceparent", sa.String(length=55), nullable=True))
    op.create_index(
        "ix_webhooks_waiting", "webhooks", ["state"], sqlite_where=_WAITING, postgresql_where=_WAITING
    )


def downgrade() -> None:
    op.drop_index("ix_webhooks_waiting", table_name="webhooks")
    with op.batch_alter_table("domain_events", schema=None) as batch_op:
        batch_op.drop_column("traceparent")
