"""Per-key request rate limit: 429 problem+json with Retry-After, per key, refilled with time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from hookline.api.app import create_app
from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.runtime import Runtime
from tests.api.support import assert_problem
from tests.conftest import make_key

RATE = 5


@pytest.fixture
async def limited(settings: Settings, clock: FrozenClock) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    runtime = Runtime(replace(settings, rate_limit_per_s=RATE), clock)
    await runtime.start(run_worker=False)
    transport = httpx.ASGITransport(app=create_app(runtime, run_worker=False), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hookline.test") as client:
            yield runtime, client
    finally:
        await runtime.stop()


async def test_a_key_over_its_rate_gets_429_with_retry_after_until_time_passes(
    limited: tuple[Runtime, httpx.AsyncClient], clock: FrozenClock
) -> None:
    runtime, api = limited
    key = await make_key(runtime, "acme", "subscriber")
    other = await make_key(runtime, "acme", "subscriber")

    statuses = [(await api.get("/api/webhook-registrations", headers=key)).status_code for _ in range(RATE)]
    assert statuses == [200] * RATE
    refused = await api.get("/api/webhook-registrations", headers=key)
    assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == "1"

    assert (await api.get("/api/webhook-registrations", headers=other)).status_code == 200
    clock.advance(timedelta(seconds=1) / RATE)
    assert (await api.get("/api/webhook-registrations", headers=key)).status_code == 200
    assert_problem(await api.get("/api/webhook-registrations", headers=key), 429)


async def test_zero_turns_the_limit_off(settings: Settings, clock: FrozenClock) -> None:
    off = Runtime(replace(settings, rate_limit_per_s=0), clock)
    await off.start(run_worker=False)
    transport = httpx.ASGITransport(app=create_app(off, run_worker=False))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hookline.test") as client:
            key = await make_key(off, "acme", "publisher")
            answers = [(await client.get("/api/entities", headers=key)).status_code for _ in range(50)]
    finally:
        await off.stop()
    assert answers == [200] * 50
