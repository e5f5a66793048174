"""The PostgreSQL scale-out section: separate `hookline worker` processes beside an API process.

- Drain: a backlog of BENCH_SCALE_EVENTS (400) x BENCH_REGISTRATIONS deliveries is published in
  batches to `hookline serve --no-worker`, then drained by 1, 2 and 4 (BENCH_SCALE_WORKERS)
  worker processes started together, each count on a backlog of its own; deliveries/s from
  their release to the last arrival. The target answers after 100 ms and each worker holds
  HOOKLINE_WORKER_CONCURRENCY=16 attempts at once, so one worker is bound by waiting, not by
  CPU, and N workers should deliver N times as much (the issue's target: at least 0.9 x N).
- Idle: the same API with 2 idle worker processes; events published one at a time reach a
  worker only through LISTEN/NOTIFY, so publish -> first attempt measures that wake-up path.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg

from bench.harness import (
    Deployment,
    Hookline,
    Options,
    Receiver,
    first_arrivals,
    hookline_api,
    hookline_process,
    measure_idle,
    pair,
    postgres_database,
    publish_batches,
    set_up,
    wait_until,
)

SCALE_DATABASE = "hookline_bench_scale"
IDLE_WORKERS = 2
SCALE_CONCURRENCY = 16
SCALE_TARGET = 0.9
"""N workers should deliver at least this times N times one worker's rate."""

# Sessions waiting for a lock on `webhooks`: workers stuck in their first claim.
WAITING_ON_WEBHOOKS = (
    "SELECT count(DISTINCT pid) FROM pg_locks WHERE relation = 'webhooks'::regclass AND NOT granted"
)
LISTENING = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
)


@dataclass(frozen=True)
class Drain:
    workers: int
    deliveries_per_s: float
    duplicates: int


@dataclass(frozen=True)
class ScaleResult:
    drains: list[Drain]
    idle_ms: list[float]


async def run_scale(receiver: Receiver, options: Options, workdir: Path) -> ScaleResult:
    """One API process throughout; a backlog and a drain per worker count, then idle latency."""
    options = replace(
        options,
        concurrency=SCALE_CONCURRENCY,
        events=int(os.environ.get("BENCH_SCALE_EVENTS") or 400),
    )
    async with postgres_database(options.postgres_url, SCALE_DATABASE) as url:
        deployment = Deployment.fresh(url, workdir, "scale")
        async with hookline_api(deployment, options, "--no-worker", phase="api") as hookline:
            publisher = await set_up(hookline, receiver, options, path="slow")
            monitor = await asyncpg.connect(url)
            try:
                drains = []
                for round_, workers in enumerate(options.scale_workers):
                    await receiver.reset()
                    await publish_batches(hookline, publisher, options, first=round_ * options.events)
                    count, _ = await receiver.count()
                    if count:
                        raise RuntimeError(f"{count} deliveries arrived while no worker was running")
                    drains.append(await drain(deployment, receiver, options, monitor, workers))
                    await check_successful(hookline, options.deliveries * (round_ + 1))
                async with contextlib.AsyncExitStack() as stack:
                    await start_workers(stack, deployment, options, IDLE_WORKERS, "idle")

                    async def listening() -> bool:
                        return int(await monitor.fetchval(LISTENING)) >= IDLE_WORKERS

                    await wait_until(listening, 60, f"{IDLE_WORKERS} workers to LISTEN")
                    idle_ms = await measure_idle(hookline, publisher, receiver, options)
            finally:
                await monitor.close()
    return ScaleResult(drains, idle_ms)


async def drain(
    deployment: Deployment, receiver: Receiver, options: Options, monitor: asyncpg.Connection, workers: int
) -> Drain:
    """Time `workers` new worker processes draining the backlog already published.

    Each process needs a second or more to import, migrate and connect, and would start
    draining alone before the others are up. So `monitor` holds an EXCLUSIVE lock on `webhooks`
    (plain reads pass, claims wait) until every worker waits in its first claim, then lets
    them all go at once; the time runs from there to the last delivery's arrival.
    """
    async with contextlib.AsyncExitStack() as stack:
        async with monitor.transaction():
            await monitor.execute("LOCK TABLE webhooks IN EXCLUSIVE MODE")
            await start_workers(stack, deployment, options, workers, f"{workers}-workers")

            async def all_waiting() -> bool:
                return int(await monitor.fetchval(WAITING_ON_WEBHOOKS)) >= workers

            await wait_until(all_waiting, 60, f"{workers} workers to wait in their first claim")
            released = time.time()
        arrivals, duplicates = await first_arrivals(receiver, options.deliveries, options.deadline_s)
    return Drain(workers, options.deliveries / (max(arrivals.values()) - released), duplicates)


async def start_workers(
    stack: contextlib.AsyncExitStack, deployment: Deployment, options: Options, count: int, phase: str
) -> None:
    """`count` `hookline worker` processes, stopped (gracefully) when `stack` closes."""
    for number in range(count):
        await stack.enter_async_context(
            hookline_process(deployment, options, "worker", phase=f"{phase}-{number + 1}")
        )


async def check_successful(hookline: Hookline, expected: int) -> None:
    """Every Webhook published so far is Successful, once the workers have stopped."""
    successful = await hookline.count_successful("Process")
    if successful != expected:
        raise RuntimeError(f"{successful} Webhooks are Successful, not {expected}")


def scale_ratios(result: ScaleResult) -> list[tuple[int, float]]:
    """(workers, rate / (workers x one worker's rate)) for every count measured beside one."""
    one = next((d.deliveries_per_s for d in result.drains if d.workers == 1), None)
    if not one:
        return []
    return [(d.workers, d.deliveries_per_s / (d.workers * one)) for d in result.drains]


def report_scale(result: ScaleResult) -> None:
    print()
    print(
        "PostgreSQL scale-out: a backlog published in batches to `serve --no-worker`, then drained by "
        f"`hookline worker` processes released together (concurrency {SCALE_CONCURRENCY} each, a "
        "target answering after 100 ms; each count its own backlog; every Webhook Successful afterwards)"
    )
    ratios = dict(scale_ratios(result))
    print(f"{'workers':>9}{'deliveries/s':>16}{'of N x one worker':>20}{'duplicates':>14}")
    for d in result.drains:
        ratio = ratios.get(d.workers)
        shown = f"{ratio:.2f}" if ratio is not None else "-"
        print(f"{d.workers:>9}{d.deliveries_per_s:>16,.0f}{shown:>20}{d.duplicates:>14}")
    print(
        f"idle publish -> first attempt, API + {IDLE_WORKERS} idle worker processes woken by "
        f"LISTEN/NOTIFY, p50 / p99 ms (n={len(result.idle_ms)}): {pair(result.idle_ms)}"
    )
