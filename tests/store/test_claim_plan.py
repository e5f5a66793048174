"""The worker's queries reach the webhooks table only through indexes (PostgreSQL only).

A sequential scan would cost every claim (or idle check) a read of every finished Webhook.
200,000 rows are enough for the planner to show it: without ix_webhooks_due, `next_due_at`
turns into a Seq Scan on webhooks and this test fails. `make bench` shows the same plans, with
timings, for a million rows.
"""

from __future__ import annotations

import pytest
from bench.claim import (
    explain,
    fill,
    index_paths_to_webhooks,
    seq_scans_on_webhooks,
    vacuum_analyze,
    worker_queries,
)

from hookline.clock import FrozenClock
from hookline.store.db import Database

FINISHED = 200_000
DUE = 1_000
BATCH = 128


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_the_worker_reaches_webhooks_only_through_indexes(
    database_url: str, clock: FrozenClock
) -> None:
    db = Database(database_url)
    try:
        await fill(db, now=clock.now(), finished=FINISHED, due=DUE)
        await vacuum_analyze(db)
        claimed, named = await worker_queries(db, clock.now(), BATCH)
        plans = await explain(db, [statement for _, statement in named], "COSTS OFF")
    finally:
        await db.close()

    assert len(claimed) == BATCH
    assert named[-1][0] == "next_due_at"
    for (which, _), plan in zip(named, plans, strict=True):
        assert seq_scans_on_webhooks(plan) == [], f"{which}:\n{plan}"
        assert index_paths_to_webhooks(plan), f"{which}:\n{plan}"
