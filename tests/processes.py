"""Real `hookline` processes for tests: started as users start them, stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path

import httpx
import pytest

SECRET = "cli-test-secret"
ADMIN = "hl_cli_test_admin"


def hookline_env(database_url: str, **variables: str) -> dict[str, str]:
    """This process's environment plus what a test's hookline needs; `variables` are HOOKLINE_* extras."""
    return (
        os.environ
        | {
            "HOOKLINE_DATABASE_URL": database_url,
            "HOOKLINE_SECRET_KEY": SECRET,
            "HOOKLINE_ADMIN_KEY": ADMIN,
            "HOOKLINE_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8",
        }
        | {f"HOOKLINE_{name.upper()}": value for name, value in variables.items()}
    )


async def run_hookline(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run `hookline *args` to its end: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookline", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running_hookline(
    *args: str, env: dict[str, str], log: Path | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`hookline *args` for the block (its stderr into `log`), then SIGTERM unless it has ended."""
    with open(log, "ab") if log else nullcontext(asyncio.subprocess.DEVNULL) as stderr:  # noqa: ASYNC230
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hookline", *args, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)


async def until_file(path: Path) -> str:
    """The text of `path` once a starting process has written it (not empty)."""
    for _ in range(300):
        if text := _read_if_written(path):
            return text
        await asyncio.sleep(0.1)  # polling a starting process, not standing in for a clock
    pytest.fail(f"{path} was never written")


def _read_if_written(path: Path) -> str:
    return path.read_text() if path.exists() and path.stat().st_size else ""


async def until_ready(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(300):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)  # polling a starting process, not standing in for a clock
    pytest.fail(f"{base_url} never became ready")
