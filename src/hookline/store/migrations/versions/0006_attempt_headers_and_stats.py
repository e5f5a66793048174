"""What was sent and health figures: attempt headers, attempts by registration and organization,
unfinished Webhooks by registration, UI sessions held on the server.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_UNFINISHED = sa.text("state IN (1, 2, 6)")


def upgrade() -> None:
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("organization_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("request_headers", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("response_headers", sa.Text(), nullable=True))
    op.execute(
        "UPDATE webhook_attempts SET"
        " registration_id = (SELECT w.registration_id FROM webhooks w WHERE w.id = webhook_attempts.webhook_id),"
        " organization_id = (SELECT w.organization_id FROM webhooks w WHERE w.id = webhook_attempts.webhook_id)"
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.alter_column("registration_id", existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column("organization_id", existing_type=sa.String(length=200), nullable=False)
    op.create_index(
        "ix_webhook_attempts_registration_started", "webhook_attempts", ["registration_id", "started_at"]
    )
    op.create_index("ix_webhook_attempts_org_started", "webhook_attempts", ["organization_id", "started_at"])
    op.create_table(
        "ui_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_ui_sessions")),
    )
    op.create_index("ix_ui_sessions_expires", "ui_sessions", ["expires_at"])
    op.create_index(
        "ix_webhooks_unfinished",
        "webhooks",
        ["registration_id", "state", "group_key"],
        sqlite_where=_UNFINISHED,
        postgresql_where=_UNFINISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_webhooks_unfinished", table_name="webhooks")
    op.drop_index("ix_ui_sessions_expires", table_name="ui_sessions")
    op.drop_table("ui_sessions")
    op.drop_index("ix_webhook_attempts_org_started", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_registration_started", table_name="webhook_attempts")
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_column("response_headers")
        batch_op.drop_column("request_headers")
        batch_op.drop_column("organization_id")
        batch_op.drop_column("registration_id")
