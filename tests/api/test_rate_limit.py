"""Per-key request rate limit: 429 problem+json with Retry-After, per key, refilled with time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.runtime import Runtime
from tests.api.support import assert_problem
from tests.conftest import another_api_process, make_key

RATE = 5


@pytest.fixture
async def limited(settings: Settings, clock: FrozenClock) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with another_api_process(settings, clock, rate_limit_per_s=RATE) as process:
        yield process


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
    async with another_api_process(settings, clock, rate_limit_per_s=0) as (runtime, client):
        key = await make_key(runtime, "acme", "publisher")
        answers = [(await client.get("/api/entities", headers=key)).status_code for _ in range(50)]
    assert answers == [200] * 50
