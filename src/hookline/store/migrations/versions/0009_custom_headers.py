"""Custom request headers per registration: the names shown, the whole set encrypted.

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("custom_header_names", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("encrypted_custom_headers", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_column("encrypted_custom_headers")
        batch_op.drop_column("custom_header_names")
