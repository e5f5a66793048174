"""Migration 0006 gives the attempts already recorded their Webhook's registration and
organization, so health figures count them too."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from hookline.store.db import Database, alembic_config

ROWS = [
    "INSERT INTO organizations (id, created_at) VALUES ('acme', '2026-01-05 12:00:00')",
    "INSERT INTO webhook_registrations (id, organization_id, target_url, normalized_target_url,"
    " should_group, should_group_continue_after_fail, is_active, fingerprint, signing_secret,"
    " created_at, updated_at) VALUES ('reg_1', 'acme', 'https://x.test/', 'https://x.test/',"
    " false, false, true, 'f', :secret, '2026-01-05 12:00:00', '2026-01-05 12:00:00')",
    "INSERT INTO webhook_events (id, registration_id, organization_id, entity_name, type, enabled)"
    " VALUES ('whe_1', 'reg_1', 'acme', 'Process', 2, true)",
    "INSERT INTO domain_events (id, organization_id, entity_name, type, entity_id, occurred_at,"
    " payload, created_at) VALUES ('evt_1', 'acme', 'Process', 2, '42', '2026-01-05 12:00:00', '{}',"
    " '2026-01-05 12:00:00')",
    "INSERT INTO webhooks (id, organization_id, registration_id, webhook_event_id, domain_event_id,"
    " group_key, state, attempt_count, attempt_limit, created_at, updated_at) VALUES ('wh_1', 'acme',"
    " 'reg_1', 'whe_1', 'evt_1', 'Process:42', 3, 1, 7, '2026-01-05 12:00:00', '2026-01-05 12:00:00')",
    "INSERT INTO webhook_attempts (id, webhook_id, attempt_number, started_at, duration_ms, succeeded)"
    " VALUES ('att_1', 'wh_1', 1, '2026-01-05 12:00:00', 12, true)",
]


def _upgrade_with_an_old_attempt(connection: Connection) -> None:
    """Down to 0005 (the downgrade works too), an attempt as 0005 recorded it, then up again."""
    command.upgrade(alembic_config(connection), "head")
    command.downgrade(alembic_config(connection), "0005")
    for statement in ROWS:
        connection.execute(text(statement), {"secret": b"sealed"})
    command.upgrade(alembic_config(connection), "head")


async def test_old_attempts_get_their_registration_and_organization(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.write() as conn:
            await conn.run_sync(_upgrade_with_an_old_attempt)
        async with db.read() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT registration_id, organization_id, request_headers, response_headers"
                        " FROM webhook_attempts"
                    )
                )
            ).one()
        assert tuple(row) == ("reg_1", "acme", None, None)
    finally:
        await db.close()
