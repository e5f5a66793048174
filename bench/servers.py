"""The servers section: one HTTP server against another on hookline's publish path.

hookline's API (the same app, settings and lifespan as `hookline serve`, SQLite) runs under
each server of bench/serve_with.py in turn, BENCH_SERVER_ROUNDS (3) times; BENCH_SERVER_REQUESTS publish requests
(POST /api/events with a publisher key) are sent from BENCH_SERVER_CONNECTIONS keep-alive
connections, each with one request in flight, after a warm-up. Reported: the server's CPU
time per request (all its processes and threads; on a shared machine far steadier than
requests/s, which follow whatever else runs), events/s and the response time p50/p99, beside
what each server bounds by itself. The shipped choice,
uvicorn+httptools with hookline's bounds (hookline/server.py), is the first row.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.harness import (
    Deployment,
    Hookline,
    Load,
    Options,
    drive,
    event_body,
    hookline_api,
    pair,
    publisher_key,
)

WARM_UP = 300

BOUNDS = {
    # head bound / whole-request read deadline / connection ceiling, as each server offers them
    "uvicorn-httptools-bounded": "431 / 408 + close / close",
    "uvicorn-httptools": "none / none / none (limit_concurrency: 503, keeps accepting)",
    "uvicorn-h11": "400 (h11_max_incomplete_event_size) / none / none",
    "hypercorn": "h11_max_incomplete_size / per-read idle only (read_timeout) / none",
    "granian": "max_buffer_size / head only (header_read_timeout), no body / none",
}
NEEDS = {"hypercorn": "hypercorn", "granian": "granian"}


@dataclass(frozen=True)
class Measured:
    load: Load
    cpu_ms: float
    """The server's CPU time (every process and thread) per request."""


@dataclass(frozen=True)
class ServerResult:
    server: str
    best: Measured | None  # None: not installed


async def publish(hookline: Hookline, key: dict[str, str], requests: int, connections: int) -> Load:
    return await drive(
        hookline.session, f"{hookline.base}/api/events", headers=lambda _: key, body=event_body, ok=202,
        connections=connections, requests=requests,
    )  # fmt: skip


def installed(server: str) -> bool:
    module = NEEDS.get(server)
    return module is None or importlib.util.find_spec(module) is not None


async def run_servers(
    options: Options, workdir: Path, requests: int, connections: int, rounds: int
) -> list[ServerResult]:
    """Every server once per round, in turn, so the machine's changing load falls on all of
    them alike; each keeps its best round (most events/s)."""
    best: dict[str, Measured | None] = {}
    for round_number in range(rounds):
        for server in BOUNDS:
            if not installed(server):
                best[server] = None
                continue
            measured = await measure_server(
                options, workdir, server, f"{server}-{round_number}", requests, connections
            )
            print(
                f"  round {round_number + 1}, {server}: {measured.load.ok_per_s:,.0f} events/s, "
                f"{measured.cpu_ms:.2f} CPU ms per request",
                flush=True,
            )
            kept = best.get(server)
            if kept is None or measured.cpu_ms < kept.cpu_ms:
                best[server] = measured
    return [ServerResult(server, measured) for server, measured in best.items()]


async def measure_server(
    options: Options, workdir: Path, server: str, label: str, requests: int, connections: int
) -> Measured:
    deployment = Deployment.fresh(f"sqlite:///{workdir / f'servers-{label}.db'}", workdir, label)
    program = (sys.executable, "-m", "bench.serve_with", server)
    async with hookline_api(
        deployment, options, phase="servers", program=program, connections=connections
    ) as hookline:
        key = await publisher_key(hookline, options)
        await publish(hookline, key, WARM_UP, connections)
        cpu_before = hookline.cpu_s()
        load = await publish(hookline, key, requests, connections)
        cpu_ms = (hookline.cpu_s() - cpu_before) * 1000 / requests
    if load.statuses[202] != requests:
        raise RuntimeError(f"{server}: {dict(load.statuses)}, {load.errors} errors of {requests}")
    return Measured(load, cpu_ms)


def report_servers(results: list[ServerResult], requests: int, connections: int, rounds: int) -> None:
    print()
    print(
        f"servers: POST /api/events, {requests} requests from {connections} keep-alive connections "
        f"(SQLite, access logs off); the round with the least CPU per request of {rounds}"
    )
    width = max(len(r.server) for r in results) + 2
    print(
        "".ljust(width)
        + f"{'CPU ms/req':>11}{'vs first':>9}{'events/s':>10}{'p50 / p99, ms':>16}"
        + "   bounds (head / read deadline / connections)"
    )
    shipped = results[0].best
    for result in results:
        measured = result.best
        if measured is None:
            print(result.server.ljust(width) + f"{'-':>11}   not installed: pip install -e '.[bench]'")
            continue
        ratio = f"{measured.cpu_ms / shipped.cpu_ms:.2f}x" if shipped else ""
        print(
            result.server.ljust(width)
            + f"{measured.cpu_ms:>11.2f}{ratio:>9}{measured.load.ok_per_s:>10,.0f}"
            + f"{pair(measured.load.ok_ms, 1):>16}   {BOUNDS[result.server]}"
        )
