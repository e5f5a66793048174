"""What every benchmark section shares: options, the receiver, hookline processes, publishing.

The sections (bench/run.py, bench/scale.py, bench/claim.py) start processes, receivers and
registrations only through these helpers, so every section measures hookline the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from yarl import URL

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ORGANIZATION = "bench"
BENCH_DATABASE = "hookline_bench"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


@dataclass(frozen=True)
class Options:
    events: int
    registrations: int
    publishers: int
    batch_size: int
    concurrency: int
    idle_events: int
    idle_pause_s: float
    deadline_s: float
    backends: tuple[str, ...]
    postgres_url: str
    profile_dir: Path | None
    drain: bool
    publish_as_admin: bool
    scale_workers: tuple[int, ...]
    claim_rows: int
    claim_due_rows: int
    claims: int
    server_requests: int
    server_connections: int
    server_rounds: int
    isolation_s: float
    isolation_rate_limit: int

    @classmethod
    def from_env(cls) -> Options:
        profile = os.environ.get("BENCH_PROFILE_DIR")
        if profile:
            Path(profile).mkdir(parents=True, exist_ok=True)
        return cls(
            events=_env_int("BENCH_EVENTS", 2000),
            registrations=_env_int("BENCH_REGISTRATIONS", 4),
            publishers=_env_int("BENCH_PUBLISHERS", 16),
            batch_size=_env_int("BENCH_BATCH_SIZE", 50),
            concurrency=_env_int("HOOKLINE_WORKER_CONCURRENCY", 128),
            idle_events=_env_int("BENCH_IDLE_EVENTS", 40),
            idle_pause_s=_env_float("BENCH_IDLE_PAUSE_S", 0.2),
            deadline_s=_env_float("BENCH_DEADLINE_S", 180),
            backends=tuple(
                b.strip()
                for b in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
                if b.strip()
            ),
            postgres_url=os.environ.get(
                "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
            ),
            profile_dir=Path(profile).resolve() if profile else None,
            drain=os.environ.get("BENCH_APART", "1") != "0",
            publish_as_admin=os.environ.get("BENCH_PUBLISH_AS", "publisher") == "admin",
            scale_workers=tuple(
                int(n) for n in os.environ.get("BENCH_SCALE_WORKERS", "1,2,4").split(",") if n.strip()
            ),
            claim_rows=_env_int("BENCH_CLAIM_ROWS", 1_000_000),
            claim_due_rows=_env_int("BENCH_CLAIM_DUE_ROWS", 5_000),
            claims=_env_int("BENCH_CLAIMS", 300),
            server_requests=_env_int("BENCH_SERVER_REQUESTS", 4000),
            server_connections=_env_int("BENCH_SERVER_CONNECTIONS", 64),
            server_rounds=_env_int("BENCH_SERVER_ROUNDS", 3),
            isolation_s=_env_float("BENCH_ISOLATION_S", 5),
            isolation_rate_limit=_env_int("BENCH_ISOLATION_RATE_LIMIT", 100),
        )

    @property
    def deliveries(self) -> int:
        return self.events * self.registrations


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def pair(values: list[float], digits: int = 0) -> str:
    """`p50 / p99` of `values`, as the reports print latencies."""
    return f"{percentile(values, 0.5):,.{digits}f} / {percentile(values, 0.99):,.{digits}f}"


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` and its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent and child not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(ticks.get(member, 0) for member in tree) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def stop_process(process: asyncio.subprocess.Process, timeout_s: float = 20) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()


async def wait_until(
    check: Callable[[], Awaitable[bool]], deadline_s: float, what: str, interval_s: float = 0.05
) -> None:
    give_up = time.monotonic() + deadline_s
    while not await check():
        if time.monotonic() > give_up:
            raise TimeoutError(f"gave up after {deadline_s:.0f}s waiting for {what}")
        await asyncio.sleep(interval_s)


# The receiver ---------------------------------------------------------------------------------


class Receiver:
    """Client of bench/receiver.py running in its own process."""

    def __init__(
        self, process: asyncio.subprocess.Process, port: int, session: aiohttp.ClientSession
    ) -> None:
        self.process = process
        self.base = f"http://127.0.0.1:{port}"
        self._session = session

    async def count(self) -> tuple[int, int]:
        async with self._session.get(f"{self.base}/_count") as response:
            body = await response.json()
        return int(body["count"]), int(body["unique"])

    async def records(self) -> list[tuple[float, str]]:
        async with self._session.get(f"{self.base}/_records") as response:
            return [(float(at), str(webhook_id)) for at, webhook_id in await response.json()]

    async def reset(self) -> None:
        async with self._session.post(f"{self.base}/_reset") as response:
            response.raise_for_status()


def pinned(cpus: str | None, *command: str) -> tuple[str, ...]:
    """`command`, run on the CPUs `cpus` names (`taskset -c`), or anywhere when None."""
    return ("taskset", "-c", cpus, *command) if cpus else command


@contextlib.asynccontextmanager
async def receiver_process(cpus: str | None = None) -> AsyncIterator[Receiver]:
    process = await asyncio.create_subprocess_exec(
        *pinned(cpus, sys.executable, str(HERE / "receiver.py")), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line:
            raise RuntimeError("the receiver exited before printing its port")
        async with aiohttp.ClientSession() as session:
            yield Receiver(process, int(line), session)
    finally:
        await stop_process(process)


# The raw ceiling ------------------------------------------------------------------------------


async def measure_ceiling(receiver: Receiver, options: Options) -> float:
    """Requests/s of a bare pooled aiohttp client posting signed-looking bodies to the receiver."""
    await receiver.reset()
    total = options.deliveries
    body_template = {
        "registrationId": "reg_" + "x" * 22,
        "organizationId": ORGANIZATION,
        "eventId": "evt_" + "x" * 22,
        "entityName": "Process",
        "type": 2,
        "occurredAt": "2026-11-29T12:00:00Z",
        "data": event_data(0),
    }
    next_index = iter(range(total))
    connector = aiohttp.TCPConnector(limit=options.concurrency, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post_some() -> None:
            for index in next_index:
                webhook_id = f"ceiling_{index}"
                body = json.dumps({"id": webhook_id, **body_template, "entityId": str(index)}).encode()
                headers = {
                    "Content-Type": "application/json",
                    "webhook-id": webhook_id,
                    "webhook-timestamp": str(int(time.time())),
                    "webhook-signature": "v1," + secrets.token_urlsafe(32),
                }
                async with session.post(f"{receiver.base}/ceiling", data=body, headers=headers) as response:
                    await response.read()
                    response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post_some() for _ in range(options.concurrency)))
        elapsed = time.perf_counter() - started
    count, _ = await receiver.count()
    if count != total:
        raise RuntimeError(f"ceiling run: receiver saw {count} of {total} requests")
    return total / elapsed


# hookline -------------------------------------------------------------------------------------


def event_data(sequence: int) -> dict[str, Any]:
    return {"sequence": sequence, "status": "done", "owner": "bench", "note": "n" * 120}


class Hookline:
    """One `hookline serve` subprocess and an HTTP client for its API."""

    def __init__(self, base: str, session: aiohttp.ClientSession, admin_key: str, pid: int = 0) -> None:
        self.base = base
        self.session = session
        self.admin = {"Authorization": f"Bearer {admin_key}"}
        self.pid = pid

    def cpu_s(self) -> float:
        """CPU time used so far by the process and its children (every thread): unlike requests
        per second, hardly moved by what else runs on the machine."""
        return process_tree_cpu_s(self.pid)

    async def call(self, method: str, path: str, *, key: dict[str, str] | None = None, **kwargs: Any) -> Any:
        async with self.session.request(
            method, f"{self.base}{path}", headers=key or self.admin, **kwargs
        ) as r:
            body = await r.json(content_type=None)
            if r.status >= 400:
                raise RuntimeError(f"{method} {path} answered {r.status}: {body}")
            return body

    async def ready(self) -> bool:
        try:
            async with self.session.get(f"{self.base}/readyz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def count_successful(self, entity_name: str) -> int:
        page = await self.call("GET", f"/api/webhooks?state=3&entityName={entity_name}&pageSize=1")
        return int(page["totalCount"])


@dataclass(frozen=True)
class Deployment:
    """What every hookline process of one backend shares: database, admin key, secret key."""

    database_url: str
    admin_key: str
    secret_key: str
    workdir: Path
    label: str

    @classmethod
    def fresh(cls, database_url: str, workdir: Path, label: str) -> Deployment:
        """A deployment on `database_url` with new random keys."""
        return cls(
            database_url,
            admin_key="hl_bench_" + secrets.token_urlsafe(24),
            secret_key=secrets.token_urlsafe(32),
            workdir=workdir,
            label=label,
        )

    def env(self, options: Options) -> dict[str, str]:
        return {
            **os.environ,
            "HOOKLINE_DATABASE_URL": self.database_url,
            "HOOKLINE_ADMIN_KEY": self.admin_key,
            "HOOKLINE_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8",
            "HOOKLINE_SECRET_KEY": self.secret_key,
            "HOOKLINE_WORKER_CONCURRENCY": str(options.concurrency),
            "HOOKLINE_RATE_LIMIT": "0",  # the benchmark measures hookline, not its throttle
        }


HOOKLINE = (str(BIN / "hookline"),)


@contextlib.asynccontextmanager
async def hookline_process(
    deployment: Deployment,
    options: Options,
    *args: str,
    phase: str,
    program: tuple[str, ...] = HOOKLINE,
    env: dict[str, str] | None = None,
    cpus: str | None = None,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`hookline ARGS...` (or `program ARGS...`) with its output in a log file, the deployment's
    environment plus `env`, on the CPUs `cpus` names (default: any); profiled if
    BENCH_PROFILE_DIR is set."""
    log_path = deployment.workdir / f"hookline-{deployment.label}-{phase}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *pinned(cpus, *program, *args),
            env=deployment.env(options) | {"PYTHONPATH": str(HERE.parent)} | (env or {}),
            cwd=deployment.workdir,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
    profiler: asyncio.subprocess.Process | None = None
    try:
        if options.profile_dir is not None:
            profiler = await start_profiler(process.pid, options.profile_dir, f"{deployment.label}-{phase}")
        yield process
    except BaseException:
        print(f"  (hookline log: {log_path})", file=sys.stderr)
        raise
    finally:
        if profiler is not None:
            await stop_profiler(profiler)
        await stop_process(process, timeout_s=60)


@contextlib.asynccontextmanager
async def hookline_api(
    deployment: Deployment,
    options: Options,
    *flags: str,
    phase: str,
    program: tuple[str, ...] = HOOKLINE,
    env: dict[str, str] | None = None,
    connections: int = 0,
    cpus: str | None = None,
) -> AsyncIterator[Hookline]:
    """`hookline serve FLAGS...` (or `program serve FLAGS...`) on a free port, once its /readyz
    answers; its client keeps up to `connections` (default BENCH_PUBLISHERS + 4) connections."""
    port = free_port()
    serve = ("serve", "--host", "127.0.0.1", "--port", str(port), *flags)
    async with hookline_process(
        deployment, options, *serve, phase=phase, program=program, env=env, cpus=cpus
    ) as process:
        connector = aiohttp.TCPConnector(limit=connections or options.publishers + 4)
        async with aiohttp.ClientSession(connector=connector) as session:
            hookline = Hookline(f"http://127.0.0.1:{port}", session, deployment.admin_key, process.pid)

            async def up() -> bool:
                if process.returncode is not None:
                    raise RuntimeError(f"hookline exited with {process.returncode}")
                return await hookline.ready()

            await wait_until(up, 60, "hookline /readyz", interval_s=0.1)
            yield hookline


async def start_profiler(pid: int, directory: Path, label: str) -> asyncio.subprocess.Process:
    """`py-spy record` attached to hookline: a flame graph and collapsed stacks per backend."""
    py_spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if py_spy is None:
        raise RuntimeError("BENCH_PROFILE_DIR is set but py-spy is missing: make .venv/.installed-bench")
    fmt = os.environ.get("BENCH_PROFILE_FORMAT", "flamegraph")
    suffix = {"flamegraph": "svg", "raw": "txt", "speedscope": "json"}.get(fmt, fmt)
    output = directory / f"hookline-{label}.{suffix}"
    extra = os.environ.get("BENCH_PROFILE_ARGS", "--nonblocking").split()
    return await asyncio.create_subprocess_exec(
        py_spy,
        "record",
        *extra,
        "--rate",
        "250",
        "--format",
        fmt,
        "-o",
        str(output),
        "--pid",
        str(pid),
        stdout=asyncio.subprocess.DEVNULL,
    )


async def stop_profiler(profiler: asyncio.subprocess.Process) -> None:
    """py-spy writes its output when interrupted."""
    if profiler.returncode is None:
        profiler.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(profiler.wait(), 60)
    except TimeoutError:
        profiler.kill()
        await profiler.wait()


async def publish(
    hookline: Hookline, key: dict[str, str], entity_name: str, type_: str, sequence: int
) -> tuple[float, float, list[str]]:
    """(wall-clock start, response time ms, webhook ids) of one POST /api/events."""
    started_at = time.time()
    started = time.perf_counter()
    body = event_body(sequence, entity_name, type_)
    answer = await hookline.call("POST", "/api/events", key=key, json=body)
    return started_at, (time.perf_counter() - started) * 1000, list(answer["webhookIds"])


async def publish_many(
    hookline: Hookline, key: dict[str, str], options: Options, first: int
) -> tuple[float, dict[str, float], list[float]]:
    """Publish BENCH_EVENTS events, each publisher keeping one request in flight.

    Answers events/s, the wall-clock start of the publish behind each webhook id, and each
    publish's response time in ms.
    """
    started_of: dict[str, float] = {}
    publish_ms: list[float] = []
    sequences = iter(range(first, first + options.events))

    async def publish_some() -> None:
        for sequence in sequences:
            started_at, took_ms, webhook_ids = await publish(hookline, key, "Process", "Updated", sequence)
            publish_ms.append(took_ms)
            if len(webhook_ids) != options.registrations:
                raise RuntimeError(f"an event made {len(webhook_ids)} webhooks, not {options.registrations}")
            started_of.update(dict.fromkeys(webhook_ids, started_at))

    started = time.perf_counter()
    await asyncio.gather(*(publish_some() for _ in range(options.publishers)))
    return options.events / (time.perf_counter() - started), started_of, publish_ms


async def publish_batches(
    hookline: Hookline, key: dict[str, str], options: Options, first: int
) -> tuple[float, dict[str, float]]:
    """Publish BENCH_EVENTS events through POST /api/events/batch, BENCH_BATCH_SIZE per request.

    Answers events/s and the wall-clock start of the request behind each webhook id.
    """
    started_of: dict[str, float] = {}
    sequences = list(range(first, first + options.events))
    batches = iter(
        [sequences[i : i + options.batch_size] for i in range(0, len(sequences), options.batch_size)]
    )

    async def publish_some() -> None:
        for batch in batches:
            started_at = time.time()
            events = [
                {"organizationId": ORGANIZATION, "entityName": "Process", "type": "Updated",
                 "entityId": str(n), "data": event_data(n)}
                for n in batch
            ]  # fmt: skip
            answer = await hookline.call("POST", "/api/events/batch", key=key, json={"events": events})
            for item in answer["items"]:
                started_of.update(dict.fromkeys(item["webhookIds"], started_at))

    started = time.perf_counter()
    await asyncio.gather(*(publish_some() for _ in range(options.publishers)))
    return options.events / (time.perf_counter() - started), started_of


async def first_arrivals(
    receiver: Receiver, expected: int, deadline_s: float
) -> tuple[dict[str, float], int]:
    """Wait for `expected` distinct webhook ids; answers each one's first arrival and the duplicates."""

    async def arrived() -> bool:
        _, unique = await receiver.count()
        return unique >= expected

    await wait_until(arrived, deadline_s, f"{expected} deliveries", interval_s=0.1)
    records = await receiver.records()
    first: dict[str, float] = {}
    for arrived_at, webhook_id in records:
        first.setdefault(webhook_id, arrived_at)
    return first, len(records) - len(first)


async def measure_idle(
    hookline: Hookline, key: dict[str, str], receiver: Receiver, options: Options
) -> list[float]:
    """Publish-to-arrival ms of BENCH_IDLE_EVENTS events published one at a time with a pause,
    so the workers are idle each time: what a lone event waits for its first attempt."""
    await receiver.reset()
    started_of: dict[str, float] = {}
    for sequence in range(options.idle_events):
        await asyncio.sleep(options.idle_pause_s)
        started_at, _, webhook_ids = await publish(hookline, key, "Tenant", "Created", sequence)
        started_of.update(dict.fromkeys(webhook_ids, started_at))
    arrivals, _ = await first_arrivals(receiver, len(started_of), 60)
    return [(arrivals[w] - started_of[w]) * 1000 for w in started_of]


async def set_up(
    hookline: Hookline, receiver: Receiver, options: Options, path: str = "hooks"
) -> dict[str, str]:
    """M registrations for Process/Updated (under the receiver's `path`), one for Tenant/Created
    (idle), and a publisher key."""
    for index in range(options.registrations):
        await register(hookline, f"{receiver.base}/{path}/{index}", "Process", "Updated")
    await register(hookline, f"{receiver.base}/idle", "Tenant", "Created")
    return await publisher_key(hookline, options)


async def register(hookline: Hookline, target_url: str, entity_name: str, type_: str) -> None:
    await hookline.call(
        "POST",
        "/api/webhook-registrations",
        json={
            "organizationId": ORGANIZATION,
            "targetUrl": target_url,
            "enabledEvents": [{"entityName": entity_name, "type": type_}],
        },
    )


async def publisher_key(hookline: Hookline, options: Options) -> dict[str, str]:
    """A new publisher key, or the admin key with BENCH_PUBLISH_AS=admin (no key look-up)."""
    if options.publish_as_admin:
        return hookline.admin
    return await new_publisher_key(hookline, "bench")


async def new_publisher_key(hookline: Hookline, name: str) -> dict[str, str]:
    """The Authorization header of a new publisher key of the benchmark's organization."""
    created = await hookline.call(
        "POST", "/api/api-keys", json={"organizationId": ORGANIZATION, "role": "publisher", "name": name}
    )
    return {"Authorization": f"Bearer {created['key']}"}


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str, name: str = BENCH_DATABASE) -> AsyncIterator[str]:
    """A fresh database `name` on the server of `admin_url`, dropped afterwards."""

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(admin_url, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield str(URL(admin_url).with_path(f"/{name}"))
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Load ------------------------------------------------------------------------------------------


@dataclass
class Load:
    """What one client's requests got: answers by status, latencies of the `ok` ones."""

    ok: int
    statuses: Counter[int] = field(default_factory=Counter)
    ok_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    errors: int = 0

    @property
    def ok_per_s(self) -> float:
        return self.statuses[self.ok] / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def sent_per_s(self) -> float:
        return (self.statuses.total() + self.errors) / self.elapsed_s if self.elapsed_s else 0.0


async def drive(
    session: aiohttp.ClientSession,
    url: str,
    *,
    headers: Callable[[int], dict[str, str]],
    body: Callable[[int], Any],
    ok: int,
    connections: int,
    requests: int | None = None,
    duration_s: float | None = None,
    rate_per_s: float | None = None,
) -> Load:
    """POST `url` from `connections` keep-alive connections, each with one request in flight,
    until `requests` were sent or `duration_s` passed; `rate_per_s` paces the requests (the n-th
    leaves no earlier than n / rate after the start), else each connection sends back to back."""
    load = Load(ok)
    started = time.perf_counter()
    numbers = iter(range(requests if requests is not None else sys.maxsize))

    async def one_connection() -> None:
        for number in numbers:
            now = time.perf_counter()
            if duration_s is not None and now - started >= duration_s:
                return
            if rate_per_s:
                await asyncio.sleep(max(0.0, started + number / rate_per_s - now))
            sent = time.perf_counter()
            try:
                async with session.post(url, json=body(number), headers=headers(number)) as response:
                    await response.read()
            except aiohttp.ClientError:
                load.errors += 1
                continue
            load.statuses[response.status] += 1
            if response.status == ok:
                load.ok_ms.append((time.perf_counter() - sent) * 1000)

    await asyncio.gather(*(one_connection() for _ in range(connections)))
    load.elapsed_s = time.perf_counter() - started
    return load


def event_body(number: int, entity_name: str = "Process", type_: str = "Updated") -> dict[str, Any]:
    """A publish request of the benchmark's organization."""
    return {
        "organizationId": ORGANIZATION,
        "entityName": entity_name,
        "type": type_,
        "entityId": str(number),
        "data": event_data(number),
    }
