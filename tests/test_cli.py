"""The `hookline` command as users run it: real processes on a real database."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import Receiver
from tests.processes import ADMIN, free_port, hookline_env, run_hookline, running_hookline, until_ready


@pytest.mark.parametrize("role", ["subscriber", "owner"])
async def test_migrate_then_create_a_key_that_authenticates(database_url: str, role: str) -> None:
    env = hookline_env(database_url)
    code, out, err = await run_hookline("migrate", env=env)
    assert code == 0, err
    assert "up to date" in out
    code, out, err = await run_hookline(
        "api-keys", "create", "--organization", "acme", "--role", role, env=env
    )
    assert code == 0, err
    key = out.strip()
    assert key.startswith("hl_") and len(key) > 40

    port = free_port()
    async with running_hookline("serve", "--port", str(port), "--no-worker", env=env):
        base = f"http://127.0.0.1:{port}"
        await until_ready(base)
        async with httpx.AsyncClient(base_url=base) as client:
            headers = {"Authorization": f"Bearer {key}"}
            listed = await client.get("/api/webhook-registrations", headers=headers)
            keys = await client.get("/api/api-keys", headers=headers)
    assert listed.status_code == 200
    assert listed.json()["totalCount"] == 0
    if role == "owner":  # an owner manages its organization's keys: it sees its own
        assert [(k["organizationId"], k["role"]) for k in keys.json()["items"]] == [("acme", "owner")]
    else:
        assert keys.status_code == 403


async def test_unknown_role_is_refused_without_a_key(database_url: str) -> None:
    code, out, err = await run_hookline(
        "api-keys", "create", "--organization", "acme", "--role", "root", env=hookline_env(database_url)
    )
    assert code == 2
    assert out == ""
    assert "root" in err


async def test_separate_api_and_worker_processes_deliver_and_the_worker_stops_cleanly(
    database_url: str, receiver: Receiver
) -> None:
    env = hookline_env(database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with (
        running_hookline("serve", "--port", str(port), "--no-worker", env=env),
        running_hookline("worker", env=env) as worker,
    ):
        await until_ready(base)
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
    often, never = (
        hookline_env(database_url) | {"HOOKLINE_MAINTENANCE_INTERVAL": "100ms"},
        hookline_env(database_url),
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with (
        running_hookline(
            "serve", "--port", str(port), "--no-worker", env=often if runs_it == "serve" else never
        ),
        running_hookline("worker", env=often if runs_it == "worker" else never),
    ):
        await until_ready(base)
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
