"""End-to-end benchmark of hookline: `make bench` (or `.venv/bin/python -m bench.run`).

Six sections, all run by default; `--only scale,claim` (or `make bench BENCH_ARGS='--only
scale'`) runs some of them.

backends: for each database it starts a fast receiver (bench/receiver.py, its own process) and
`hookline serve` (a subprocess, as deployed: API + in-process worker), registers
BENCH_REGISTRATIONS registrations for one entity, publishes BENCH_EVENTS events over HTTP from
BENCH_PUBLISHERS concurrent keep-alive connections, and waits until the receiver has every
delivery and hookline's API shows them all Successful. It reports:

- deliveries/s end to end: first publish request sent to last delivery arrived;
- publish -> first attempt latency p50/p99: receiver arrival minus the publish request's start;
- the raw ceiling: a bare pooled aiohttp client with hookline's worker concurrency POSTing the
  same number of similar requests to the same receiver, and hookline's share of it;
- idle latency: events published one at a time with a pause, so the worker is idle each time.

scale (bench/scale.py): PostgreSQL with separate processes; a backlog drained by 1, 2 and 4
`hookline worker` processes, and idle latency through LISTEN/NOTIFY.

claim (bench/claim.py): `claim_due` latency and query plans with a million Webhooks.

servers (bench/servers.py): hookline's publish path under uvicorn+httptools with hookline's
request bounds (as shipped), plain uvicorn+httptools, uvicorn+h11, hypercorn and granian.

isolation (bench/isolation.py): a well-behaved key's throughput and p99 alone, beside a key
sending 10 times its limit, and beside 5,000 random invalid keys.

targets (bench/targets.py): what issue 12's targets need beyond the above: end to end with
hookline pinned to one CPU (fan-out 10 and 1), publishing only on one CPU with 64 connections
(and batched), and a worker's RSS while it drains 100,000 Webhooks.

At the end, every target of issue 12 the sections measured is printed with its figure, its
ratio and whether it is met.

Environment (all optional):
- BENCH_EVENTS (2000), BENCH_REGISTRATIONS (4), BENCH_PUBLISHERS (16), BENCH_DEADLINE_S (180);
- BENCH_BATCH_SIZE (50): events per request in the batched phase (POST /api/events/batch);
- BENCH_IDLE_EVENTS (40), BENCH_IDLE_PAUSE_S (0.2);
- BENCH_BACKENDS (`sqlite,postgresql`); BENCH_POSTGRES_URL
  (`postgresql://postgres@127.0.0.1:5432/postgres`, a superuser: the server on which the
  throw-away databases `hookline_bench`, `hookline_bench_scale` and `hookline_bench_claim_N` are
  created and dropped);
- HOOKLINE_WORKER_CONCURRENCY (128), passed to hookline and used for the ceiling and as the
  claim's batch size;
- BENCH_PUBLISH_AS (`publisher`: a publisher key, looked up per request as in production;
  `admin`: the bootstrap admin key, which needs no look-up);
- BENCH_APART (1: also publish with no worker running, then time a lone `hookline worker`
  draining that backlog; 0: skip);
- BENCH_SCALE_WORKERS (`1,2,4`): worker process counts of the scale section;
- BENCH_CLAIM_ROWS (1000000), BENCH_CLAIM_DUE_ROWS (5000), BENCH_CLAIMS (300): the claim section;
- BENCH_SERVER_REQUESTS (4000), BENCH_SERVER_CONNECTIONS (64), BENCH_SERVER_ROUNDS (3): servers;
- BENCH_ISOLATION_S (5), BENCH_ISOLATION_RATE_LIMIT (100): the isolation section;
- BENCH_PROFILE_DIR: attach `py-spy record` to every hookline process and write its profile
  there (BENCH_PROFILE_FORMAT flamegraph|raw|speedscope; BENCH_PROFILE_ARGS, default
  `--nonblocking`, e.g. `--gil`).

It exits with 1 if a worker query's plan scans the whole `webhooks` table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.claim import ClaimResult, measure_claims, report_claim
from bench.durability import durability
from bench.harness import (
    Deployment,
    Options,
    Receiver,
    first_arrivals,
    hookline_api,
    hookline_process,
    measure_ceiling,
    measure_idle,
    new_publisher_key,
    pair,
    percentile,
    postgres_database,
    publish_batches,
    publish_many,
    receiver_process,
    set_up,
    wait_until,
)
from bench.isolation import Phase, report_isolation, run_isolation
from bench.scale import SCALE_TARGET, ScaleResult, report_scale, run_scale, scale_ratios
from bench.servers import ServerResult, report_servers, run_servers
from bench.targets import RSS_EVENTS, RSS_FANOUT, TargetsResult, report_targets, run_targets


@dataclass
class Result:
    backend: str
    publish_per_s: float
    publish_ms: list[float]
    deliveries_per_s: float
    first_attempt_ms: list[float]
    duplicates: int
    idle_ms: list[float]
    batch_publish_per_s: float = 0.0
    batch_deliveries_per_s: float = 0.0
    batch_first_attempt_ms: list[float] = field(default_factory=list)
    api_only_publish_per_s: float | None = None
    drain_per_s: float | None = None
    durability: tuple[str, bool] = ("not read", False)
    """Target 8: the commit setting of hookline's own connections, and whether it is durable."""


async def run_backend(deployment: Deployment, receiver: Receiver, options: Options) -> Result:
    async with hookline_api(deployment, options, phase="serve") as hookline:
        publisher = await set_up(hookline, receiver, options)

        # Throughput, as deployed: API and worker in one process.
        await receiver.reset()
        first_publish = time.time()
        publish_per_s, started_of, publish_ms = await publish_many(hookline, publisher, options, first=0)
        arrivals, duplicates = await first_arrivals(receiver, options.deliveries, options.deadline_s)

        async def all_successful() -> bool:
            return await hookline.count_successful("Process") >= options.deliveries

        await wait_until(all_successful, 60, "every webhook to be Successful", interval_s=0.2)
        if set(arrivals) != set(started_of):
            raise RuntimeError("the receiver saw other webhook ids than hookline answered")
        last_arrival = max(arrivals.values())
        first_attempt_ms = [(arrivals[w] - started_of[w]) * 1000 for w in started_of]

        # The same, with events published in batches (POST /api/events/batch).
        await receiver.reset()
        batch_first_publish = time.time()
        batch_publish_per_s, batch_started_of = await publish_batches(
            hookline, publisher, options, first=options.events
        )
        batch_arrivals, batch_duplicates = await first_arrivals(
            receiver, options.deliveries, options.deadline_s
        )
        duplicates += batch_duplicates
        batch_first_attempt_ms = [(batch_arrivals[w] - batch_started_of[w]) * 1000 for w in batch_started_of]
        batch_last_arrival = max(batch_arrivals.values())

        # Idle latency: one event at a time, the worker idle in between.
        idle_ms = await measure_idle(hookline, publisher, receiver, options)

    result = Result(
        backend=deployment.label,
        publish_per_s=publish_per_s,
        publish_ms=publish_ms,
        deliveries_per_s=options.deliveries / (last_arrival - first_publish),
        first_attempt_ms=first_attempt_ms,
        duplicates=duplicates,
        idle_ms=idle_ms,
        batch_publish_per_s=batch_publish_per_s,
        batch_deliveries_per_s=options.deliveries / (batch_last_arrival - batch_first_publish),
        batch_first_attempt_ms=batch_first_attempt_ms,
    )
    if options.drain:
        result.api_only_publish_per_s, result.drain_per_s = await measure_apart(deployment, receiver, options)
    result.durability = await durability(deployment.database_url)
    return result


async def measure_apart(deployment: Deployment, receiver: Receiver, options: Options) -> tuple[float, float]:
    """Publishing with no worker running, then a lone `hookline worker` draining the backlog.

    Tells whether end-to-end throughput is bound by publishing or by delivery.
    """
    await receiver.reset()
    async with hookline_api(deployment, options, "--no-worker", phase="api-only") as hookline:
        key = await new_publisher_key(hookline, "drain")
        publish_per_s, _, _ = await publish_many(hookline, key, options, first=options.events)
    count, _ = await receiver.count()
    if count:
        raise RuntimeError(f"{count} deliveries arrived while no worker was running")
    async with hookline_process(deployment, options, "worker", phase="worker"):
        arrivals, _ = await first_arrivals(receiver, options.deliveries, options.deadline_s)
    times = sorted(arrivals.values())
    return publish_per_s, (len(times) - 1) / (times[-1] - times[0])


# Report ---------------------------------------------------------------------------------------


def report(options: Options, ceiling_per_s: float, load: tuple[float, ...]) -> None:
    """The run's parameters and the raw ceiling every share is taken of."""
    print()
    print(
        f"hookline benchmark: {options.events} events x {options.registrations} registrations = "
        f"{options.deliveries} deliveries, {options.publishers} publishers, worker concurrency "
        f"{options.concurrency}, {os.cpu_count()} CPUs, load average before the run "
        + " ".join(f"{x:.2f}" for x in load)
    )
    if ceiling_per_s:  # not measured when only the claim section runs
        print(
            f"raw ceiling (bare aiohttp client, {options.concurrency} in flight, same receiver, best of 3): "
            f"{ceiling_per_s:,.0f} requests/s"
        )


def report_backends(options: Options, ceiling_per_s: float, results: list[Result]) -> None:
    rows: list[tuple[str, Callable[[Result], str]]] = [
        ("publish, events/s", lambda r: f"{r.publish_per_s:,.0f}"),
        ("publish response p50 / p99, ms", lambda r: pair(r.publish_ms)),
        ("deliveries/s end to end", lambda r: f"{r.deliveries_per_s:,.0f}"),
        ("  share of the raw ceiling", lambda r: f"{r.deliveries_per_s / ceiling_per_s:.0%}"),
        ("publish -> first attempt p50 / p99, ms", lambda r: pair(r.first_attempt_ms)),
        (f"idle publish -> arrival p50 / p99, ms (n={options.idle_events})", lambda r: pair(r.idle_ms)),
        (
            f"batched ({options.batch_size} per request): publish, events/s",
            lambda r: f"{r.batch_publish_per_s:,.0f}",
        ),
        ("batched: deliveries/s end to end", lambda r: f"{r.batch_deliveries_per_s:,.0f}"),
        ("  share of the raw ceiling", lambda r: f"{r.batch_deliveries_per_s / ceiling_per_s:.0%}"),
        ("batched: publish -> first attempt p50 / p99, ms", lambda r: pair(r.batch_first_attempt_ms)),
        ("duplicate deliveries", lambda r: str(r.duplicates)),
    ]
    if options.drain:
        rows += [
            ("apart: publish, no worker, events/s", lambda r: f"{r.api_only_publish_per_s or 0:,.0f}"),
            ("apart: lone `hookline worker` drain, deliveries/s", lambda r: f"{r.drain_per_s or 0:,.0f}"),
            ("  share of the raw ceiling", lambda r: f"{(r.drain_per_s or 0) / ceiling_per_s:.0%}"),
        ]
    width = max(len(label) for label, _ in rows) + 2
    print()
    print("".ljust(width) + "".join(f"{r.backend:>16}" for r in results))
    for label, cell in rows:
        print(label.ljust(width) + "".join(f"{cell(r):>16}" for r in results))


SECTIONS = ("backends", "scale", "claim", "servers", "isolation", "targets")


async def run_backends(receiver: Receiver, options: Options, workdir: Path) -> list[Result]:
    results = []
    for backend in options.backends:
        print(f"{backend}: {options.events} events x {options.registrations} registrations ...", flush=True)
        started = time.perf_counter()
        if backend == "sqlite":
            deployment = Deployment.fresh(f"sqlite:///{workdir / 'bench.db'}", workdir, backend)
            results.append(await run_backend(deployment, receiver, options))
        elif backend == "postgresql":
            async with postgres_database(options.postgres_url) as url:
                deployment = Deployment.fresh(url, workdir, backend)
                results.append(await run_backend(deployment, receiver, options))
        else:
            raise SystemExit(f"unknown backend {backend!r} in BENCH_BACKENDS (sqlite, postgresql)")
        print(f"  done in {time.perf_counter() - started:.1f}s", flush=True)
    return results


async def main(sections: tuple[str, ...]) -> int:
    options = Options.from_env()
    load = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="hookline-bench-"))
    results: list[Result] = []
    scale: ScaleResult | None = None
    claims: list[ClaimResult] = []
    targets: TargetsResult | None = None
    ceiling = 0.0
    if "backends" in sections or "scale" in sections:
        async with receiver_process() as receiver:
            print(f"raw ceiling: {options.deliveries} POSTs, best of 3 ...", flush=True)
            ceiling = max([await measure_ceiling(receiver, options) for _ in range(3)])
            if "backends" in sections:
                results = await run_backends(receiver, options, workdir)
            if "scale" in sections:
                print(f"scale: PostgreSQL with {options.scale_workers} worker processes ...", flush=True)
                started = time.perf_counter()
                scale = await run_scale(receiver, options, workdir)
                print(f"  done in {time.perf_counter() - started:.1f}s", flush=True)
    if "claim" in sections:
        started = time.perf_counter()
        claims = await measure_claims(options)
        print(f"  done in {time.perf_counter() - started:.1f}s", flush=True)
    if "targets" in sections:
        print("targets: pinned end to end, publishing only, RSS while draining ...", flush=True)
        started = time.perf_counter()
        targets = await run_targets(options, workdir)
        print(f"  done in {time.perf_counter() - started:.1f}s", flush=True)
    servers: list[ServerResult] = []
    if "servers" in sections:
        print(f"servers: {options.server_requests} publishes per HTTP server ...", flush=True)
        servers = await run_servers(
            options, workdir, options.server_requests, options.server_connections, options.server_rounds
        )
    phases: list[Phase] = []
    if "isolation" in sections:
        print(f"isolation: 3 phases of {options.isolation_s:g}s ...", flush=True)
        phases = await run_isolation(options, workdir, options.isolation_rate_limit, options.isolation_s)
    shutil.rmtree(workdir)  # kept, with hookline's logs, when something failed
    report(options, ceiling, load)
    if results:
        report_backends(options, ceiling, results)
    if scale is not None:
        report_scale(scale)
    if claims:
        report_claim(claims, options)
    if servers:
        report_servers(servers, options.server_requests, options.server_connections, options.server_rounds)
    if phases:
        report_isolation(phases, options.isolation_rate_limit)
    if targets is not None:
        report_targets(targets)
    report_summary(Measured(ceiling, results, scale, claims, targets))
    return 1 if any(c.seq_scans for c in claims) else 0


@dataclass(frozen=True)
class Measured:
    ceiling_per_s: float
    results: list[Result]
    scale: ScaleResult | None
    claims: list[ClaimResult]
    targets: TargetsResult | None


def target_rows(m: Measured) -> list[tuple[str, str, bool]]:
    """(issue 12's target, what this run measured, met) for every target the sections measured."""
    rows: list[tuple[str, str, bool]] = []
    t = m.targets
    if t is not None:
        for p in t.pinned:
            share = p.deliveries_per_s / t.ceiling_per_s
            goal = 0.5 if p.fanout > 1 else 0.3
            rows.append(
                (
                    f"1. pinned end to end, fan-out {p.fanout}, {p.backend}: >= {goal} of the ceiling",
                    f"{p.deliveries_per_s:,.0f}/s = {share:.2f}",
                    share >= goal,
                )
            )
    for r in m.results:
        if r.drain_per_s is not None and m.ceiling_per_s:
            share = r.drain_per_s / m.ceiling_per_s
            rows.append(
                (
                    f"2. lone worker draining a backlog, {r.backend}: >= 0.6 of the ceiling",
                    f"{r.drain_per_s:,.0f}/s = {share:.2f}",
                    share >= 0.6,
                )
            )
    if t is not None:
        rows.append(
            (
                "3. publishing only, 1 core, 64 connections: >= 3,000 events/s, p99 <= 50 ms",
                f"{t.publish_per_s:,.0f}/s, p99 {t.publish_p99_ms:,.0f} ms",
                t.publish_per_s >= 3000 and t.publish_p99_ms <= 50,
            )
        )
        rows.append(
            (
                "3. batched publishing: >= 20,000 events/s",
                f"{t.batch_publish_per_s:,.0f}/s",
                t.batch_publish_per_s >= 20_000,
            )
        )
    idle = [(f"in one process, {r.backend}", r.idle_ms) for r in m.results]
    if m.scale is not None:
        idle.append(("through LISTEN/NOTIFY", m.scale.idle_ms))
    for where, ms in idle:
        p50, p99 = percentile(ms, 0.5), percentile(ms, 0.99)
        rows.append(
            (
                f"4. idle publish -> arrival {where}: p50 <= 3 ms, p99 <= 10 ms",
                f"{p50:,.1f} / {p99:,.1f} ms",
                p50 <= 3 and p99 <= 10,
            )
        )
    if m.scale is not None:
        for workers, ratio in scale_ratios(m.scale):
            if workers > 1:
                rows.append(
                    (
                        f"5. {workers} workers, 100 ms target: >= {SCALE_TARGET} x {workers} x one worker",
                        f"{ratio:.2f} x {workers}",
                        ratio >= SCALE_TARGET,
                    )
                )
    if t is not None and t.rss_mib:
        rows.append(
            (
                f"6. worker RSS draining {RSS_EVENTS * RSS_FANOUT:,} Webhooks: flat within 10 %",
                f"{min(t.rss_mib):.0f}-{max(t.rss_mib):.0f} MiB, {t.rss_spread():.1%}",
                t.rss_spread() <= 0.10,
            )
        )
    if len(m.claims) > 1:
        baseline = percentile(m.claims[0].claim_ms, 0.5)
        ratio = percentile(m.claims[1].claim_ms, 0.5) / baseline
        rows.append(
            (
                f"6. claim p50, {m.claims[1].scenario.label} vs small table: <= 1.5 x",
                f"{ratio:.2f} x",
                ratio <= 1.5,
            )
        )
    for r in m.results:
        setting, durable = r.durability
        rows.append((f"8. a 202 survives an OS crash, {r.backend}: commits on disk", setting, durable))
    return rows


def report_summary(measured: Measured) -> None:
    rows = target_rows(measured)
    if not rows:
        return
    print()
    print(f"issue 12's targets, this run (load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}):")
    width = max(len(label) for label, _, _ in rows) + 2
    for label, figure, met in rows:
        print(f"  {label.ljust(width)}{figure:>28}   {'met' if met else 'NOT met'}")
    print(f"  {sum(met for _, _, met in rows)} of {len(rows)} met")


def arguments() -> tuple[str, ...]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    sections = tuple(s.strip() for s in parser.parse_args().only.split(",") if s.strip())
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return sections


def run() -> int:
    sections = arguments()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main(sections))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main(sections))


if __name__ == "__main__":
    sys.exit(run())
