"""Registration health and supersession: failing streaks, coalesced updates, retention indexes.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ENDED = sa.text("state IN (3, 4, 5, 7)")
_KEYED = sa.text("supersession_key IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("coalesce_updates", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(sa.Column("failing_since", UtcDateTime(), nullable=True))
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersession_key", sa.String(length=401), nullable=True))
    op.create_index(
        "ix_webhooks_supersession",
        "webhooks",
        ["registration_id", "supersession_key", "seq"],
        sqlite_where=_KEYED,
        postgresql_where=_KEYED,
    )
    op.create_index(
        "ix_webhooks_ended", "webhooks", ["updated_at"], sqlite_where=_ENDED, postgresql_where=_ENDED
    )
    op.create_index("ix_domain_events_created", "domain_events", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_domain_events_created", table_name="domain_events")
    op.drop_index("ix_webhooks_ended", table_name="webhooks")
    op.drop_index("ix_webhooks_supersession", table_name="webhooks")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("supersession_key")
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
        batch_op.drop_column("coalesce_updates")
