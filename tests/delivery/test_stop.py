"""Graceful stop: in-flight attempts get the stop timeout to finish and are recorded; what is still
hanging then is handed back (its lease cleared), so another worker takes it at once."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from pathlib import Path

import pytest

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.conftest import eventually
from tests.delivery.conftest import Client, LiveReceiver, StackFactory
from tests.processes import free_port, hookline_env, running_hookline

CREATED, SUCCESSFUL = 1, 3
UNIT = [{"entityName": "Unit", "type": "Updated"}]


async def publish_hanging_and_fast(client: Client, receiver: LiveReceiver) -> tuple[asyncio.Event, str, str]:
    """One Webhook to a target that hangs until the returned gate opens, one to a prompt target."""
    await client.register(receiver.url("/hanging"))
    await client.register(receiver.url("/fast"), enabledEvents=UNIT)
    gate = receiver.hold_path("/hanging")
    return gate, await client.publish_one(), await client.publish_one(entityName="Unit")


async def assert_handed_back_and_recorded_once(
    client: Client, runtime: Runtime, gate: asyncio.Event, hanging: str, fast: str
) -> None:
    """The hung Webhook was handed back unrecorded; another worker takes it now, without waiting
    for a lease to expire (this clock has not moved); the fast one was recorded exactly once."""
    webhook = await client.webhook(hanging)
    assert (webhook["state"], webhook["attemptCount"]) == (CREATED, 0)
    assert await client.attempts(hanging) == []
    gate.set()
    assert await runtime.worker.deliver_due() == 1
    for webhook_id in (hanging, fast):
        webhook = await client.webhook(webhook_id)
        assert (webhook["state"], webhook["attemptCount"]) == (SUCCESSFUL, 1)
        assert len(await client.attempts(webhook_id)) == 1


async def test_an_in_process_worker_hands_back_what_outlasts_the_stop_timeout(
    make_stack: StackFactory, client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    """As `hookline serve` stops its in-process worker."""
    stack = await make_stack(clock, run_worker=True, stop_timeout=timedelta(milliseconds=200))
    gate, hanging, fast = await publish_hanging_and_fast(client, receiver)
    await receiver.wait_for_requests(2)
    await eventually(lambda: _is(client, fast, SUCCESSFUL), "the prompt Webhook recorded")

    await asyncio.wait_for(stack.runtime.stop(), 5)

    assert receiver.ids("/hanging") == [hanging]
    await assert_handed_back_and_recorded_once(client, runtime, gate, hanging, fast)


@pytest.mark.parametrize(
    ("command", "stop"),
    [("worker", signal.SIGTERM), ("worker", signal.SIGINT), ("serve", signal.SIGTERM)],
    ids=["worker-SIGTERM", "worker-SIGINT", "serve-SIGTERM"],
)
async def test_a_signal_stops_a_process_within_its_stop_timeout_handing_back_the_rest(
    database_url: str,
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    tmp_path: Path,
    command: str,
    stop: signal.Signals,
) -> None:
    gate, hanging, fast = await publish_hanging_and_fast(client, receiver)
    env = hookline_env(
        database_url, secret_key=str(runtime.settings.secret_key), stop_timeout="1s", delivery_timeout="60s"
    )
    args = ["serve", "--port", str(free_port())] if command == "serve" else ["worker"]
    log = tmp_path / "hookline.log"
    async with running_hookline(*args, env=env, log=log) as process:
        await receiver.wait_for_requests(2)
        await eventually(lambda: _is(client, fast, SUCCESSFUL), "the prompt Webhook recorded")
        loop = asyncio.get_running_loop()
        signalled = loop.time()
        process.send_signal(stop)
        # uvicorn, under `serve`, ends by raising the signal again once it has shut down.
        assert await asyncio.wait_for(process.wait(), 10) == (0 if command == "worker" else -stop)
        assert loop.time() - signalled < 1 + 4  # the stop timeout, plus closing down; not the 60 s
    assert "handed back 1 unfinished webhooks" in log.read_text()
    await assert_handed_back_and_recorded_once(client, runtime, gate, hanging, fast)


async def _is(client: Client, webhook_id: str, state: int) -> bool:
    return (await client.webhook(webhook_id))["state"] == state
