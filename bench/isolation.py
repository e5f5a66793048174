"""The isolation section: one tenant cannot slow another.

One `hookline serve` as deployed (SQLite, API and worker in one process) with
HOOKLINE_RATE_LIMIT=BENCH_ISOLATION_RATE_LIMIT (100). A well-behaved publisher key publishes
(POST /api/events) at 80 % of its limit from 4 keep-alive connections for BENCH_ISOLATION_S
seconds (5):

1. alone;
2. while a second publisher key sends 10 times its limit (paced, 16 connections);
3. while 5,000 random invalid keys flood (each request the next of 5,000 random keys, 32
   connections back to back, from the same address as the well-behaved key).

Reported: the well-behaved key's throughput (202 answers/s) and p99 in each phase, their
ratios to the solo phase against the targets (at least 80 % of the solo throughput, p99 at
most 3 times the solo p99), and what the abusers got.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.harness import (
    Deployment,
    Load,
    Options,
    drive,
    event_body,
    hookline_api,
    new_publisher_key,
    percentile,
)

WELL_BEHAVED_SHARE = 0.8
WELL_BEHAVED_CONNECTIONS = 4
ABUSE_FACTOR = 10
ABUSER_CONNECTIONS = 16
INVALID_KEYS = 5000
FLOOD_CONNECTIONS = 32
TARGET_THROUGHPUT = 0.8
TARGET_P99 = 3.0


@dataclass(frozen=True)
class Phase:
    name: str
    well_behaved: Load
    abuser: Load | None


@contextlib.asynccontextmanager
async def session(connections: int) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as opened:
        yield opened


async def run_isolation(options: Options, workdir: Path, rate_limit: int, duration_s: float) -> list[Phase]:
    deployment = Deployment.fresh(f"sqlite:///{workdir / 'isolation.db'}", workdir, "isolation")
    env = {"HOOKLINE_RATE_LIMIT": str(rate_limit)}
    async with hookline_api(deployment, options, phase="isolation", env=env) as hookline:
        good, bad = (
            await new_publisher_key(hookline, "well-behaved"),
            await new_publisher_key(hookline, "abuser"),
        )
        url = f"{hookline.base}/api/events"
        invalid = [{"Authorization": f"Bearer hl_{secrets.token_urlsafe(32)}"} for _ in range(INVALID_KEYS)]

        async def well_behaved() -> Load:
            async with session(WELL_BEHAVED_CONNECTIONS) as client:
                return await drive(
                    client, url, headers=lambda _: good, body=event_body, ok=202,
                    connections=WELL_BEHAVED_CONNECTIONS, duration_s=duration_s,
                    rate_per_s=rate_limit * WELL_BEHAVED_SHARE,
                )  # fmt: skip

        async def abusing_key() -> Load:
            async with session(ABUSER_CONNECTIONS) as client:
                return await drive(
                    client, url, headers=lambda _: bad, body=event_body, ok=202,
                    connections=ABUSER_CONNECTIONS, duration_s=duration_s, rate_per_s=rate_limit * ABUSE_FACTOR,
                )  # fmt: skip

        async def invalid_keys() -> Load:
            async with session(FLOOD_CONNECTIONS) as client:
                return await drive(
                    client, url, headers=lambda n: invalid[n % INVALID_KEYS], body=event_body, ok=202,
                    connections=FLOOD_CONNECTIONS, duration_s=duration_s,
                )  # fmt: skip

        async def beside(abuse: Awaitable[Load]) -> tuple[Load, Load]:
            abuser = asyncio.ensure_future(abuse)
            try:
                return await well_behaved(), await abuser
            finally:
                abuser.cancel()

        await well_behaved()  # warm-up: the key is checked and cached, connections made
        phases = [Phase("alone", await well_behaved(), None)]
        for name, abuse in (
            (f"beside a key sending {ABUSE_FACTOR}x its limit", abusing_key),
            (f"beside {INVALID_KEYS:,} random invalid keys", invalid_keys),
        ):
            started = time.perf_counter()
            load, abuser = await beside(abuse())
            phases.append(Phase(name, load, abuser))
            print(f"  {name}: {time.perf_counter() - started:.1f}s", flush=True)
    return phases


def report_isolation(phases: list[Phase], rate_limit: int) -> bool:
    """Prints the section; answers whether every target was met."""
    solo = phases[0].well_behaved
    solo_p99 = percentile(solo.ok_ms, 0.99)
    print()
    print(
        f"isolation: HOOKLINE_RATE_LIMIT={rate_limit}; a well-behaved key publishing at "
        f"{rate_limit * WELL_BEHAVED_SHARE:.0f}/s from {WELL_BEHAVED_CONNECTIONS} connections"
    )
    width = max(len(p.name) for p in phases) + 2
    print(
        "".ljust(width)
        + f"{'202/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'thr. ratio':>12}{'p99 ratio':>11}   abuser's answers"
    )
    met = True
    for phase in phases:
        load = phase.well_behaved
        p99 = percentile(load.ok_ms, 0.99)
        throughput_ratio, p99_ratio = load.ok_per_s / solo.ok_per_s, p99 / solo_p99
        ok = throughput_ratio >= TARGET_THROUGHPUT and p99_ratio <= TARGET_P99
        met = met and ok
        abuser = ""
        if phase.abuser is not None:
            answers = ", ".join(
                f"{status}: {count:,}" for status, count in sorted(phase.abuser.statuses.items())
            )
            abuser = f"{phase.abuser.sent_per_s:,.0f}/s sent ({answers}; {phase.abuser.errors} errors)"
        print(
            phase.name.ljust(width)
            + f"{load.ok_per_s:>8,.0f}{percentile(load.ok_ms, 0.5):>9.1f}{p99:>9.1f}"
            + f"{throughput_ratio:>11.0%}{'' if ok else '!'} {p99_ratio:>9.2f}x   {abuser}"
        )
    print(
        f"targets: throughput at least {TARGET_THROUGHPUT:.0%} of alone, p99 at most {TARGET_P99:g}x alone: "
        + ("met" if met else "MISSED")
    )
    return met
