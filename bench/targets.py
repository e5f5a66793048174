"""The targets section: issue 12's measurements that need a setup of their own.

- Pinned end to end: `hookline serve` (API + worker) on CPU 0, the receiver and the publishing
  client (this process) on CPU 1; single-event publishes with fan-out 10 and 1, on SQLite and
  PostgreSQL. The ceiling it is compared with is measured the same way: the bare aiohttp client
  on CPU 0, the receiver on CPU 1.
- Publishing only: `serve --no-worker` on CPU 0, 64 keep-alive connections, one matching
  registration: events/s and response p99; then batched publishing (100 events per request).
- A worker's RSS while it drains a backlog of 100,000 Webhooks (PostgreSQL; BENCH_RSS_EVENTS
  events x 10 registrations), sampled from /proc twice a second: flat means max/min within
  10 % once the first tenth is delivered.

The machine is shared: pinning keeps hookline's processes apart from the receiver and the
client, not from whatever else runs; the load average is printed beside the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.harness import (
    Deployment,
    Options,
    Receiver,
    first_arrivals,
    hookline_api,
    hookline_process,
    measure_ceiling,
    percentile,
    postgres_database,
    publish_batches,
    publish_many,
    receiver_process,
    set_up,
)

HOOKLINE_CPU, OTHER_CPU = "0", "1"
PINNED_EVENTS = {10: 1000, 1: 3000}  # fan-out -> events published (10,000 and 3,000 deliveries)
PUBLISH_CONNECTIONS = 64
PUBLISH_EVENTS = 6000
BATCH_SIZE = 100
BATCH_EVENTS = 20_000
RSS_FANOUT = 10
RSS_EVENTS = int(os.environ.get("BENCH_RSS_EVENTS") or 10_000)  # x RSS_FANOUT = 100,000 Webhooks
RSS_DATABASE = "hookline_bench_rss"


@dataclass
class Pinned:
    backend: str
    fanout: int
    deliveries_per_s: float


@dataclass
class TargetsResult:
    ceiling_per_s: float = 0.0
    pinned: list[Pinned] = field(default_factory=list)
    publish_per_s: float = 0.0
    publish_p99_ms: float = 0.0
    batch_publish_per_s: float = 0.0
    rss_samples: list[tuple[float, float]] = field(default_factory=list)
    """(share of the backlog delivered, worker RSS in MiB), twice a second."""
    rss_drain_per_s: float = 0.0

    @property
    def rss_mib(self) -> list[float]:
        """The RSS samples once the first tenth of the backlog is delivered (start-up is over)."""
        return [rss for delivered, rss in self.rss_samples if delivered >= 0.1]

    def rss_spread(self) -> float:
        """max / min - 1 of `rss_mib`."""
        settled = self.rss_mib
        return max(settled) / min(settled) - 1 if settled else float("nan")


@contextlib.contextmanager
def on_cpus(cpus: str) -> Iterator[None]:
    """Run this process (the client side) on `cpus` for the block."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@contextlib.asynccontextmanager
async def backend_database(backend: str, options: Options, workdir: Path, name: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'{name}.db'}"
    else:
        async with postgres_database(options.postgres_url, name) as url:
            yield url


async def run_targets(options: Options, workdir: Path) -> TargetsResult:
    result = TargetsResult()
    async with receiver_process(cpus=OTHER_CPU) as receiver:
        with on_cpus(HOOKLINE_CPU):
            result.ceiling_per_s = max([await measure_ceiling(receiver, options) for _ in range(3)])
        with on_cpus(OTHER_CPU):
            for backend in options.backends:
                for fanout, events in PINNED_EVENTS.items():
                    print(f"  pinned end to end: {backend}, fan-out {fanout} ...", flush=True)
                    result.pinned.append(
                        await pinned_end_to_end(receiver, options, workdir, backend, fanout, events)
                    )
            print("  publishing only, 64 connections ...", flush=True)
            await publishing_only(receiver, options, workdir, result)
        print("  RSS while draining 100,000 Webhooks ...", flush=True)
        await drain_rss(receiver, options, workdir, result)
    return result


async def pinned_end_to_end(
    receiver: Receiver, options: Options, workdir: Path, backend: str, fanout: int, events: int
) -> Pinned:
    options = replace(options, registrations=fanout, events=events)
    label = f"pinned-{backend}-{fanout}"
    async with backend_database(backend, options, workdir, label.replace("-", "_")) as url:
        deployment = Deployment.fresh(url, workdir, label)
        async with hookline_api(deployment, options, phase="serve", cpus=HOOKLINE_CPU) as hookline:
            publisher = await set_up(hookline, receiver, options)
            await receiver.reset()
            started = time.time()
            await publish_many(hookline, publisher, options, first=0)
            arrivals, _ = await first_arrivals(receiver, options.deliveries, options.deadline_s)
    return Pinned(backend, fanout, options.deliveries / (max(arrivals.values()) - started))


async def publishing_only(receiver: Receiver, options: Options, workdir: Path, result: TargetsResult) -> None:
    """The backend of this target is the first of BENCH_BACKENDS (publishing is one commit per
    batch of requests; no worker runs)."""
    options = replace(options, registrations=1, events=PUBLISH_EVENTS, publishers=PUBLISH_CONNECTIONS)
    backend = options.backends[0]
    async with backend_database(backend, options, workdir, "publish_only") as url:
        deployment = Deployment.fresh(url, workdir, f"publish-{backend}")
        async with hookline_api(
            deployment, options, "--no-worker", phase="api", cpus=HOOKLINE_CPU
        ) as hookline:
            publisher = await set_up(hookline, receiver, options)
            result.publish_per_s, _, publish_ms = await publish_many(hookline, publisher, options, first=0)
            result.publish_p99_ms = percentile(publish_ms, 0.99)
            batched = replace(options, events=BATCH_EVENTS, batch_size=BATCH_SIZE)
            result.batch_publish_per_s, _ = await publish_batches(
                hookline, publisher, batched, first=PUBLISH_EVENTS
            )


async def drain_rss(receiver: Receiver, options: Options, workdir: Path, result: TargetsResult) -> None:
    """The deadline allows for a loaded machine: 100,000 deliveries at 200/s."""
    options = replace(options, registrations=RSS_FANOUT, events=RSS_EVENTS, batch_size=BATCH_SIZE)
    options = replace(options, deadline_s=max(options.deadline_s, options.deliveries / 200))
    async with postgres_database(options.postgres_url, RSS_DATABASE) as url:
        deployment = Deployment.fresh(url, workdir, "rss")
        async with hookline_api(deployment, options, "--no-worker", phase="api") as hookline:
            publisher = await set_up(hookline, receiver, options)
            await publish_batches(hookline, publisher, options, first=0)
            await receiver.reset()
            async with hookline_process(deployment, options, "worker", phase="worker") as worker:
                sampler = asyncio.create_task(
                    sample_rss(worker.pid, receiver, options.deliveries, result.rss_samples)
                )
                started = time.time()
                try:
                    arrivals, _ = await first_arrivals(receiver, options.deliveries, options.deadline_s)
                finally:
                    sampler.cancel()
            result.rss_drain_per_s = options.deliveries / (max(arrivals.values()) - started)


async def sample_rss(pid: int, receiver: Receiver, total: int, samples: list[tuple[float, float]]) -> None:
    status = f"/proc/{pid}/status"
    while True:
        with open(status) as lines:  # noqa: ASYNC230 - procfs answers from memory, at once
            text = lines.read()
        delivered, _ = await receiver.count()
        for line in text.splitlines():
            if line.startswith("VmRSS:"):
                samples.append((delivered / total, int(line.split()[1]) / 1024))
        await asyncio.sleep(0.5)


def report_targets(result: TargetsResult) -> None:
    print()
    print(
        f"pinned: hookline on CPU {HOOKLINE_CPU}, receiver and client on CPU {OTHER_CPU}; raw ceiling "
        f"the same way (bare aiohttp client on CPU {HOOKLINE_CPU}): {result.ceiling_per_s:,.0f} requests/s"
    )
    for p in result.pinned:
        print(
            f"  end to end, single-event publishes, fan-out {p.fanout:>2}, {p.backend:<10}: "
            f"{p.deliveries_per_s:>7,.0f} deliveries/s = {p.deliveries_per_s / result.ceiling_per_s:.2f} "
            "of the ceiling"
        )
    print(
        f"  publishing only ({PUBLISH_CONNECTIONS} connections, 1 registration): "
        f"{result.publish_per_s:,.0f} events/s, response p99 {result.publish_p99_ms:,.0f} ms; "
        f"batched ({BATCH_SIZE} per request): {result.batch_publish_per_s:,.0f} events/s"
    )
    if result.rss_mib:
        print(
            f"a lone worker draining {RSS_EVENTS * RSS_FANOUT:,} Webhooks (PostgreSQL, "
            f"{result.rss_drain_per_s:,.0f} deliveries/s): RSS {min(result.rss_mib):.0f}-"
            f"{max(result.rss_mib):.0f} MiB, spread after the first tenth {result.rss_spread():.1%}"
        )
