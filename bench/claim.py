"""The claim section: hookline's own `claim_due` against a million Webhooks on PostgreSQL.

A throw-away database per scenario gets hookline's schema by its migrations, then Webhooks
in a few `INSERT ... SELECT ... FROM generate_series` statements: BENCH_CLAIM_ROWS finished
(Successful) and BENCH_CLAIM_DUE_ROWS due; BENCH_CLAIM_ROWS due; and, as the baseline, only the
BENCH_CLAIM_DUE_ROWS due ones, so a claim's cost on a small table is measured in the same run.
Each claim runs as the worker runs it: `claim_due` for a batch of the worker's concurrency in
its own write transaction; the benchmark then gives the leases back (untimed), so every claim
finds the same work. The scenarios take turns claiming, so load from elsewhere hits them alike.

The statements `claim_due` and `next_due_at` send are captured as the driver gets them and
shown with `EXPLAIN (ANALYZE, BUFFERS)`; a sequential scan of `webhooks` is flagged, since it
would make every claim read the whole table. tests/store/test_claim_plan.py checks the same
plans with these helpers.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text, update

from bench.harness import Options, pair, percentile, postgres_database
from hookline.config import Settings
from hookline.domain.enums import WebhookState
from hookline.domain.records import ClaimedWebhook
from hookline.ids import new_id
from hookline.store.db import Database
from hookline.store.tables import webhooks
from hookline.store.webhooks import ClaimLimits, claim_due, next_due_at

CLAIM_DATABASE = "hookline_bench_claim"
LEASE = timedelta(seconds=40)  # as the worker's by default: the delivery timeout plus 30 s
FAN_OUT = 4  # registrations per organization, so Webhooks per domain event
PLAN_LINE_CHARS = 160  # the claim's second statement lists every claimed `seq`

QUERIES = ("SELECT", "WITH", "UPDATE", "INSERT", "DELETE")
SEQ_SCAN_ON_WEBHOOKS = re.compile(r"Seq Scan on webhooks\b")
INDEX_PATH_TO_WEBHOOKS = re.compile(
    r"(Index Scan|Index Only Scan) using \S+ on webhooks\b|Bitmap Heap Scan on webhooks\b"
)


def fill_statements(now: datetime, finished: int, due: int) -> list[str]:
    """SQL that adds `finished` Successful then `due` due Webhooks, created at `now`.

    The rows are consistent by construction: Webhook n belongs to registration n % FAN_OUT and to
    domain event n / FAN_OUT; the due ones are Created and fell due one millisecond apart.
    """
    total = finished + due
    at = f"timestamptz '{now.isoformat()}'"
    return [
        f"INSERT INTO organizations (id, created_at) VALUES ('bench', {at})",
        f"""INSERT INTO webhook_registrations (id, organization_id, target_url, normalized_target_url,
            should_group, should_group_continue_after_fail, is_active, fingerprint, signing_secret,
            created_at, updated_at)
        SELECT 'reg_' || r, 'bench', 'http://127.0.0.1:9/' || r, 'http://127.0.0.1:9/' || r,
            false, false, true, md5(r::text), '\\x00'::bytea, {at}, {at}
        FROM generate_series(0, {FAN_OUT - 1}) AS r""",
        f"""INSERT INTO webhook_events (id, registration_id, organization_id, entity_name, type, enabled)
        SELECT 'whe_' || r, 'reg_' || r, 'bench', 'Process', 2, true
        FROM generate_series(0, {FAN_OUT - 1}) AS r""",
        f"""INSERT INTO domain_events (id, organization_id, entity_name, type, entity_id, occurred_at,
            payload, created_at)
        SELECT 'evt_' || e, 'bench', 'Process', 2, e::text, {at}, '{{"sequence": ' || e || '}}', {at}
        FROM generate_series(0, {(total - 1) // FAN_OUT}) AS e""",
        f"""INSERT INTO webhooks (id, organization_id, registration_id, webhook_event_id,
            domain_event_id, group_key, state, attempt_count, attempt_limit, next_attempt_at,
            created_at, updated_at)
        SELECT 'wh_' || n, 'bench', 'reg_' || n % {FAN_OUT}, 'whe_' || n % {FAN_OUT},
            'evt_' || n / {FAN_OUT}, 'Process:' || n / {FAN_OUT},
            CASE WHEN due THEN {WebhookState.CREATED.value} ELSE {WebhookState.SUCCESSFUL.value} END,
            CASE WHEN due THEN 0 ELSE 1 END, 7,
            CASE WHEN due THEN {at} - ({total} - n) * interval '1 millisecond' END, {at}, {at}
        FROM generate_series(0, {total - 1}) AS n, LATERAL (SELECT n >= {finished} AS due) AS d""",
    ]


Sent = tuple[str, Any]  # a statement's SQL and parameters, as the driver got them


@dataclass(frozen=True)
class Scenario:
    label: str
    finished: int
    due: int
    baseline: bool = False  # small enough that a sequential scan is a fine plan: not shown


@dataclass(frozen=True)
class ClaimResult:
    scenario: Scenario
    fill_s: float
    claim_ms: list[float]
    plans: list[tuple[str, str]]  # (which statement, EXPLAIN output)

    @property
    def seq_scans(self) -> list[str]:
        return [
            f"{self.scenario.label}, {which}: {line}"
            for which, plan in self.plans
            for line in seq_scans_on_webhooks(plan)
        ]


def scenarios(options: Options) -> list[Scenario]:
    rows, due = options.claim_rows, options.claim_due_rows
    return [
        # The baseline: a claim's cost when the table holds only what is due, so the rows below
        # read as ratios measured in the same run.
        Scenario(f"baseline: {due:,} due", finished=0, due=due, baseline=True),
        Scenario(f"{rows:,} Successful + {due:,} due", finished=rows, due=due),
        Scenario(f"{rows:,} due", finished=0, due=rows),
    ]


async def fill(db: Database, *, now: datetime, finished: int, due: int) -> None:
    """Add `finished` Successful and `due` due Webhooks, with their registrations and events."""
    async with db.write() as conn:
        # The rows are consistent by construction; skipping the foreign-key triggers (a
        # superuser's session setting) makes the fill about twice as fast.
        if await conn.scalar(text("SELECT current_setting('is_superuser')")) == "on":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in fill_statements(now, finished, due):
            await conn.exec_driver_sql(statement)


async def vacuum_analyze(db: Database) -> None:
    """Statistics for the planner and a visibility map, as a long-lived table has them; also
    keeps autovacuum from starting on the fresh rows in the middle of the measurement."""
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM (ANALYZE) webhooks, domain_events"))


@contextlib.asynccontextmanager
async def captured(db: Database) -> AsyncIterator[list[Sent]]:
    """Every statement (SQL and parameters, as the driver gets them) sent through `db` inside
    the block; so the plan shown is the one of the query hookline really sends."""
    statements: list[Sent] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def claim(db: Database, now: datetime, limit: int) -> list[ClaimedWebhook]:
    """One claim as the worker makes it: its own write transaction, committed, with the default
    per-registration limit of a worker of concurrency `limit`."""
    limits = ClaimLimits(limit, Settings(worker_concurrency=limit).per_registration_concurrency)
    async with db.write() as conn:
        claimed = await claim_due(
            conn, now=now, limits=limits, lease_until=now + LEASE, lease_token=new_id("lease")
        )
    return claimed.webhooks


async def release(db: Database, claimed: Sequence[ClaimedWebhook]) -> None:
    """Give the leases back, so the next claim finds the same Webhooks due."""
    async with db.write() as conn:
        await conn.execute(
            update(webhooks)
            .where(webhooks.c.id.in_([c.id for c in claimed]))
            .values(lease_expires_at=None, lease_token=None)
        )


async def explain(db: Database, statements: Sequence[Sent], options: str = "ANALYZE, BUFFERS") -> list[str]:
    """`EXPLAIN (options)` of each statement, each in a transaction rolled back (ANALYZE runs it)."""
    plans = []
    async with db.engine.connect() as conn:
        for statement, parameters in statements:
            transaction = await conn.begin()
            try:
                rows = await conn.exec_driver_sql(f"EXPLAIN ({options}) {statement}", parameters)
                plans.append("\n".join(row[0] for row in rows))
            finally:
                await transaction.rollback()
    return plans


async def worker_queries(
    db: Database, now: datetime, limit: int
) -> tuple[list[ClaimedWebhook], list[tuple[str, Sent]]]:
    """Run the worker's two queries on `webhooks` (a claim, released again, and `next_due_at`)
    and answer what the claim took and `(which, statement)` of every statement they sent."""
    async with captured(db) as sent_by_claim:
        claimed = await claim(db, now, limit)
    await release(db, claimed)
    async with captured(db) as sent_by_next_due, db.read() as conn:
        await next_due_at(conn)
    # Only queries have plans; a setting a future claim might change first has none.
    queries = [s for s in sent_by_claim if s[0].lstrip().upper().startswith(QUERIES)]
    named = [(f"claim_due, statement {i + 1} of {len(queries)}", s) for i, s in enumerate(queries)]
    named += [("next_due_at", s) for s in sent_by_next_due]
    return claimed, named


def seq_scans_on_webhooks(plan: str) -> list[str]:
    return [line.strip() for line in plan.splitlines() if SEQ_SCAN_ON_WEBHOOKS.search(line)]


def index_paths_to_webhooks(plan: str) -> list[str]:
    return [line.strip() for line in plan.splitlines() if INDEX_PATH_TO_WEBHOOKS.search(line)]


async def measure_claims(options: Options) -> list[ClaimResult]:
    """A database per scenario, filled and its plans shown; then BENCH_CLAIMS claims in each,
    taking turns, so the load of a shared machine weighs on every scenario alike."""
    now = datetime.now(UTC)
    async with contextlib.AsyncExitStack() as stack:
        prepared = []
        for number, scenario in enumerate(scenarios(options), start=1):
            print(f"claim: {scenario.label} ...", flush=True)
            url = await stack.enter_async_context(
                postgres_database(options.postgres_url, f"{CLAIM_DATABASE}_{number}")
            )
            db = Database(url)
            stack.push_async_callback(db.close)
            prepared.append((scenario, db, await prepare(db, scenario, now, options)))
        claim_ms: list[list[float]] = [[] for _ in prepared]
        for _ in range(options.claims):
            for (scenario, db, _), timings in zip(prepared, claim_ms, strict=True):
                started = time.perf_counter()
                claimed = await claim(db, now, options.concurrency)
                timings.append((time.perf_counter() - started) * 1000)
                if len(claimed) != min(options.concurrency, scenario.due):
                    raise RuntimeError(f"{scenario.label}: a claim took only {len(claimed)} Webhooks")
                await release(db, claimed)
    return [
        ClaimResult(scenario, fill_s, timings, plans)
        for (scenario, _, (fill_s, plans)), timings in zip(prepared, claim_ms, strict=True)
    ]


async def prepare(
    db: Database, scenario: Scenario, now: datetime, options: Options
) -> tuple[float, list[tuple[str, str]]]:
    """Migrate and fill; answers the seconds that took and `(which, EXPLAIN output)` of each
    statement of the worker's queries (none for the baseline)."""
    await db.migrate()
    started = time.perf_counter()
    await fill(db, now=now, finished=scenario.finished, due=scenario.due)
    await vacuum_analyze(db)
    fill_s = time.perf_counter() - started
    if scenario.baseline:
        return fill_s, []
    _, named = await worker_queries(db, now, options.concurrency)
    plans = await explain(db, [statement for _, statement in named])
    return fill_s, [(which, plan) for (which, _), plan in zip(named, plans, strict=True)]


def report_claim(results: list[ClaimResult], options: Options) -> None:
    print()
    print(
        f"claim latency: hookline's claim_due, {options.concurrency} per claim, each in its own write "
        f"transaction as the worker claims (leases given back, untimed), {options.claims} claims per "
        "scenario, the scenarios taking turns"
    )
    width = max(len(r.scenario.label) for r in results) + 2
    baseline_ms = percentile(results[0].claim_ms, 0.5)
    print(
        "".ljust(width)
        + f"{'claim p50 / p99, ms':>22}{'p50 / baseline p50':>22}{'fill + VACUUM ANALYZE, s':>28}"
    )
    for r in results:
        ratio = percentile(r.claim_ms, 0.5) / baseline_ms
        print(r.scenario.label.ljust(width) + f"{pair(r.claim_ms, 1):>22}{ratio:>22.1f}{r.fill_s:>28.1f}")
    for r in results:
        if r.scenario.baseline:
            continue
        print()
        print(f"EXPLAIN (ANALYZE, BUFFERS), {r.scenario.label}:")
        for which, plan in r.plans:
            print(f"-- {which}")
            for line in plan.splitlines():
                print(line if len(line) <= PLAN_LINE_CHARS else line[: PLAN_LINE_CHARS - 3] + "...")
    print()
    seq_scans = [line for r in results for line in r.seq_scans]
    if seq_scans:
        print("!" * 100)
        print("!!! PLAN CHECK FAILED: a worker query scans the whole webhooks table:")
        for line in seq_scans:
            print(f"!!!   {line}")
        print("!" * 100)
    else:
        print("plan check: every worker query reaches webhooks through an index (no Seq Scan on webhooks)")
