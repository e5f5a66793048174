"""Where a profiled hookline process spent its CPU, by layer: `python -m bench.breakdown FILE [N]`.

FILE is a `py-spy record --format raw` profile (collapsed stacks, as `make bench` writes with
BENCH_PROFILE_DIR and BENCH_PROFILE_FORMAT=raw); N, if given, is how many deliveries (or events)
the process handled, to print CPU microseconds per delivery. Each sample is charged to the
innermost frame that belongs to a known layer (start-up, imports and migrations, is counted
apart); py-spy samples only threads it sees running, so samples / rate is CPU time, except
for the waits it mistakes for running here (WAITS), which are shown apart too.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

RATE_HZ = 250  # what bench/harness.py's start_profiler asks py-spy for

# (layer, path fragments of its files), the first match from the innermost frame out wins.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("hookline", ("(hookline/",)),
    ("SQLAlchemy", ("(sqlalchemy/",)),
    ("aiosqlite + sqlite3", ("(aiosqlite/", "(sqlite3/")),
    ("asyncpg", ("(asyncpg/",)),
    ("aiohttp client", ("(aiohttp/", "(yarl/", "(multidict/")),
    ("FastAPI, Starlette, uvicorn", ("(fastapi/", "(starlette/", "(uvicorn/", "(h11/", "(httptools/")),
    ("pydantic", ("(pydantic/", "(pydantic_core/")),
    ("asyncio, uvloop", ("(asyncio/", "(uvloop/")),
    ("prometheus-client", ("(prometheus_client/",)),
]
STARTUP = ("_find_and_load", "(alembic/")
"""Frames of start-up (imports, migrations): counted apart, not per item."""
# What a frame in hookline's own package is charged as: the layer the hookline module belongs to.
HOOKLINE_PARTS = ("domain", "store", "delivery", "service", "api", "ui")


WAITS = (
    "_connection_worker_thread (aiosqlite/core.py:59)",  # its queue's get(), aiosqlite 0.22.1
    "_worker (concurrent/futures/thread.py",
    "EpollSelector.select (selectors.py",
)
"""Innermost frames of a thread that waits: py-spy counted them as running on this machine (its
idle detection missed them), so they are shown apart and left out of CPU per item."""
WAITING = "waiting, counted by py-spy"


def layer_of(stack: str) -> str:
    if any(marker in stack for marker in STARTUP):
        return "start-up (imports, migrations)"
    frames = stack.split(";")
    if frames[-1].startswith(WAITS):
        return WAITING
    for frame in reversed(frames):
        for layer, fragments in LAYERS:
            if any(fragment in frame for fragment in fragments):
                if layer == "hookline":
                    return _hookline_part(frame)
                return layer
    return "stdlib and other"


def _hookline_part(frame: str) -> str:
    for part in HOOKLINE_PARTS:
        if f"(hookline/{part}/" in frame:
            return f"hookline {part}/"
    return "hookline (other)"


def breakdown(path: Path) -> tuple[Counter[str], int]:
    samples: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[layer_of(stack)] += int(count)
    return samples, sum(samples.values())


def main(arguments: list[str]) -> None:
    path = Path(arguments[0])
    handled = int(arguments[1]) if len(arguments) > 1 else 0
    samples, total = breakdown(path)
    startup = samples.pop("start-up (imports, migrations)", 0)
    waiting = samples.pop(WAITING, 0)
    working = total - startup - waiting
    print(
        f"{path.name}: {total / RATE_HZ:.1f} s sampled, of which start-up {startup / RATE_HZ:.1f} s"
        f" and {WAITING} {waiting / RATE_HZ:.1f} s"
    )
    for layer, count in samples.most_common():
        per = f"{count / RATE_HZ / handled * 1e6:8.0f} us per item" if handled else ""
        print(f"  {layer:<32}{count / working:6.1%}  {per}")
    if handled:
        print(f"  {'total after start-up':<32}{1:6.0%}  {working / RATE_HZ / handled * 1e6:8.0f} us per item")


if __name__ == "__main__":
    main(sys.argv[1:])
