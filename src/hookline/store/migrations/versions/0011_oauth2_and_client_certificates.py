"""OAuth2 client credentials beside Basic and Bearer, and a client certificate per registration.

The OAuth2 client id lives in `username` and its secret in `encrypted_password` (RFC 6749 sends
them as the token endpoint's Basic credentials); the certificate and its key are one encrypted
PEM bundle, with the subject and expiry kept readable for answers and the expiry warning.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_target_authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_url", sa.String(2048), nullable=True))
        batch_op.add_column(sa.Column("scope", sa.String(1000), nullable=True))
        batch_op.add_column(sa.Column("audience", sa.String(1000), nullable=True))
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("encrypted_client_certificate", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("client_certificate_subject", sa.String(1000), nullable=True))
        batch_op.add_column(sa.Column("client_certificate_not_after", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("client_certificate_warned_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_registrations", schema=None) as batch_op:
        batch_op.drop_column("client_certificate_warned_at")
        batch_op.drop_column("client_certificate_not_after")
        batch_op.drop_column("client_certificate_subject")
        batch_op.drop_column("encrypted_client_certificate")
    with op.batch_alter_table("webhook_target_authorizations", schema=None) as batch_op:
        batch_op.drop_column("audience")
        batch_op.drop_column("scope")
        batch_op.drop_column("token_url")
