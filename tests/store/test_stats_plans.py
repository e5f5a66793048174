"""The health queries read index ranges, never the whole attempts or webhooks table: the plan of
every statement they run is checked on both databases (PostgreSQL with sequential scans
discouraged, so an empty table cannot hide a missing index)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from hookline.store import stats as stats_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Database
from hookline.store.stats import AttemptScope
from tests.conftest import START

SCOPES = [AttemptScope(registration_id="reg_1"), AttemptScope(organization_id="acme"), AttemptScope()]


@pytest.mark.parametrize("scope", SCOPES, ids=["registration", "organization", "everyone"])
async def test_health_queries_use_the_attempt_indexes(database_url: str, scope: AttemptScope) -> None:
    db = Database(database_url)
    statements: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    try:
        await db.migrate()
        event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
        since, until = START, START + timedelta(days=1)
        async with db.read() as conn:
            await stats_store.hourly_counts(conn, scope, since, until)
            await stats_store.duration_at_rank(conn, scope, since, until, 1)
            await stats_store.last_failure(conn, scope, since, until)
            await stats_store.most_failing(conn, scope, since, until, 5)
            await webhooks_store.backlog_of(conn, "reg_1")
            await webhooks_store.pending_groups(conn, "reg_1", 1, 50)
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
        assert len(statements) >= 6
        async with db.read() as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                await conn.execute(text("SET enable_seqscan = off"))
            for statement, parameters in statements:
                explain = ("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement
                raw = await conn.exec_driver_sql(explain, parameters)
                plan = "\n".join(str(row[-1]) for row in raw)
                for table in ("webhook_attempts", "webhooks"):
                    assert f"Seq Scan on {table}" not in plan, (statement, plan)
                    assert f"SCAN {table}\n" not in plan + "\n", (statement, plan)
                assert "ix_webhook_attempts_" in plan or "ix_webhooks_unfinished" in plan, (statement, plan)
    finally:
        await db.close()
