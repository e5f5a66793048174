"""The `hookline` command as users run it: real processes on a real database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import Receiver

SECRET = "cli-test-secret"
ADMIN = "hl_cli_test_admin"


def _env(database_url: str) -> dict[str, str]:
    return os.environ | {
        "HOOKLINE_DATABASE_URL": database_url,
        "HOOKLINE_SECRET_KEY": SECRET,
        "HOOKLINE_ADMIN_KEY": ADMIN,
        "HOOKLINE_ALLOWED_TARGET_NETWORKS": "127.0.0.0/8",
    }


async def _hookline(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookline", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def _running(*args: str, env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hookline", *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


async def _until_ready(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(300):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)  # polling a starting process, not standing in for a clock
    pytest.fail(f"{base_url} never became ready")


async def test_migrate_then_create_a_key_that_authenticates(database_url: str) -> None:
    env = _env(database_url)
    code, out, err = await _hookline("migrate", env=env)
    assert code == 0, err
    assert "up to date" in out
    code, out, err = await _hookline(
        "api-keys", "create", "--organization", "acme", "--role", "subscriber", env=env
    )
    assert code == 0, err
    key = out.strip()
    assert key.startswith("hl_") and len(key) > 40

    port = _free_port()
    async with _running("serve", "--port", str(port), "--no-worker", env=env):
        base = f"http://127.0.0.1:{port}"
        await _until_ready(base)
        async with httpx.AsyncClient(base_url=base) as client:
            listed = await client.get(
                "/api/webhook-registrations", headers={"Authorization": f"Bearer {key}"}
            )
    assert listed.status_code == 200
    assert listed.json()["totalCount"] == 0


async def test_unknown_role_is_refused_without_a_key(database_url: str) -> None:
    code, out, err = await _hookline(
        "api-keys", "create", "--organization", "acme", "--role", "root", env=_env(database_url)
    )
    assert code == 2
    assert out == ""
    assert "root" in err


async def test_separate_api_and_worker_processes_deliver_and_the_worker_stops_cleanly(
    database_url: str, receiver: Receiver
) -> None:
    env = _env(database_url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    async with (
        _running("serve", "--port", str(port), "--no-worker", env=env),
        _running("worker", env=env) as worker,
    ):
        await _until_ready(base)
        admin = {"Authorization": f"Bearer {ADMIN}"}
        async with httpx.AsyncClient(base_url=base, headers=admin) as client:
            created = await client.post(
                "/api/webhook-registrations",
                json={
                    "organizationId": "acme",
                    "targetUrl": receiver.url(),
                    "enabledEvents": [{"entityName": "Unit", "type": "Created"}],
                },
            )
            assert created.status_code == 201, created.text
            published = await client.post(
                "/api/events",
                json={"organizationId": "acme", "entityName": "Unit", "type": 1, "entityId": "7"},
            )
            assert published.status_code == 202
            [webhook_id] = published.json()["webhookIds"]
            [request] = await receiver.wait_for_requests(1)
            assert request.headers["webhook-id"] == webhook_id

        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), 30) == 0


@pytest.mark.parametrize("runs_it", ["serve", "worker"])
async def test_the_maintenance_job_runs_inside_serve_and_worker(database_url: str, runs_it: str) -> None:
    """Only the process under test runs maintenance often; it deactivates an expired registration."""
    often, never = _env(database_url) | {"HOOKLINE_MAINTENANCE_INTERVAL": "100ms"}, _env(database_url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    async with (
        _running("serve", "--port", str(port), "--no-worker", env=often if runs_it == "serve" else never),
        _running("worker", env=often if runs_it == "worker" else never),
    ):
        await _until_ready(base)
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}) as client:
            expires = datetime.now(UTC) + timedelta(seconds=1)
            created = await client.post(
                "/api/webhook-registrations",
                json={
                    "organizationId": "acme",
                    "targetUrl": "http://127.0.0.1:9/hook",
                    "enabledEvents": [{"entityName": "Unit", "type": "Created"}],
                    "expiresAt": expires.isoformat(),
                },
            )
            assert created.status_code == 201, created.text
            path = f"/api/webhook-registrations/{created.json()['id']}"
            for _ in range(150):
                registration = (await client.get(path)).json()
                if not registration["isActive"]:
                    break
                await asyncio.sleep(0.1)  # polling another process, not standing in for a clock
    assert registration["isActive"] is False
    assert registration["disabledReason"].startswith("expired at ")
