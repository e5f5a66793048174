"""Fairness: one registration's hanging target holds at most its share of a worker's slots, and
first attempts get their share of every claim however many retries fell due before them."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from hookline.clock import FrozenClock
from hookline.delivery.worker import WorkerOptions
from hookline.domain.records import ClaimedWebhook
from hookline.runtime import Runtime
from hookline.store.webhooks import FIRST_ATTEMPT_SHARE, ClaimLimits, claim_due
from tests.conftest import Reply, eventually
from tests.delivery.conftest import Client, LiveReceiver, running, worker_for

SUCCESSFUL, RETRYING = 3, 2
UNIT = [{"entityName": "Unit", "type": "Updated"}]


async def claim(runtime: Runtime, clock: FrozenClock, limits: ClaimLimits) -> list[ClaimedWebhook]:
    async with runtime.db.write() as conn:
        claimed = await claim_due(
            conn,
            now=clock.now(),
            limits=limits,
            lease_until=clock.now() + runtime.settings.lease,
            lease_token="lease_t",
        )
    return claimed.webhooks


async def test_a_hanging_target_holds_at_most_its_share_while_another_is_delivered(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    hanging = await client.register(receiver.url("/hanging"))
    await client.register(receiver.url("/fast"), enabledEvents=UNIT)
    gate = receiver.hold_path("/hanging")
    stuck = [await client.publish_one(str(n)) for n in range(6)]  # older: first in due order
    fast = [await client.publish_one(str(n), entityName="Unit") for n in range(6)]

    worker = worker_for(runtime, WorkerOptions(concurrency=4, per_registration=2, max_poll_s=3600))
    async with running(worker):
        await eventually(
            lambda: _all_in(client, fast, SUCCESSFUL), "the fast target's Webhooks delivered", timeout_s=5
        )
        assert receiver.most_at_once["/hanging"] == 2
        assert len(receiver.ids("/hanging")) == 2  # the free slots stayed free of it
        gate.set()
        await eventually(
            lambda: _all_in(client, stuck, SUCCESSFUL), "the hanging target's Webhooks, once it answers"
        )

    assert receiver.most_at_once["/hanging"] == 2
    assert sorted(receiver.ids("/hanging")) == sorted(stuck)
    assert (await client.registration(hanging["id"]))["isActive"] is True


async def _all_in(client: Client, webhook_ids: list[str], state: int) -> bool:
    return set(await client.states(*webhook_ids)) == {state}


async def test_a_claim_takes_each_registration_up_to_its_allowance(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    one, full, fresh = [(await client.register(receiver.url(f"/{n}")))["id"] for n in range(3)]
    for n in range(4):
        await client.publish(str(n))  # one Webhook for each registration

    claimed = await claim(
        runtime, clock, ClaimLimits(total=10, per_registration=3, allowance={one: 1, full: 0})
    )

    taken = Counter(c.registration_id for c in claimed)
    assert taken == {one: 1, fresh: 3}


async def test_first_attempts_get_their_share_of_a_claim_behind_older_retries(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url("/down"))
    await client.register(receiver.url("/up"), enabledEvents=UNIT)
    receiver.reply_at("/down", *[Reply(status=500)] * 6)
    retries = {await client.publish_one(str(n)) for n in range(6)}
    assert await runtime.worker.deliver_due() == 6
    clock.advance(timedelta(minutes=6))  # the retries fell due a minute ago
    firsts = {await client.publish_one(str(n), entityName="Unit") for n in range(3)}

    claimed = {c.id for c in await claim(runtime, clock, ClaimLimits(total=4, per_registration=4))}

    assert math.ceil(4 * FIRST_ATTEMPT_SHARE) == 2
    assert len(claimed & firsts) == 2
    assert len(claimed & retries) == 2  # the rest strictly by due time: retries first


async def test_the_claim_reads_due_webhooks_through_their_partial_index(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    """No sequential scan of `webhooks`, whatever the fairness clauses add (on PostgreSQL with
    sequential scans discouraged: the table is too small for the planner to care otherwise)."""
    registration = (await client.register(receiver.url()))["id"]
    await client.publish()
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE WEBHOOKS SET LEASE_EXPIRES_AT"):
            statements.append((statement, parameters))

    event.listen(runtime.db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await claim(
            runtime, clock, ClaimLimits(total=4, per_registration=2, allowance={registration: 1, "x": 0})
        )
    finally:
        event.remove(runtime.db.engine.sync_engine, "before_cursor_execute", capture)
    [(statement, parameters)] = statements

    async with runtime.db.write() as conn:
        if runtime.db.is_sqlite:
            plan = "\n".join(
                str(row[-1])
                for row in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            assert "SCAN webhooks\n" not in plan + "\n", plan
        else:
            await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(row[0] for row in await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
            assert "Seq Scan on webhooks" not in plan, plan
    assert plan.count("ix_webhooks_due") == 2, plan  # both the oldest rows and the oldest first attempts
