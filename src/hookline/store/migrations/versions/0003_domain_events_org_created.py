"""Domain events by organization and time, for the entity coverage figures.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_domain_events_org_created", "domain_events", ["organization_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_domain_events_org_created", table_name="domain_events")
