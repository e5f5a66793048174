"""Rate limits: 429 problem+json with Retry-After per key and, for unknown keys, per client
address; refused before the body is read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from starlette.types import ASGIApp, Message

from hookline.api.app import UNKNOWN_KEY_BURST_S, create_app
from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.runtime import Runtime
from hookline.service import KEY_RECHECK
from tests.api.support import assert_problem
from tests.conftest import another_api_process, bearer, make_key

RATE = 5
NO_DELAY = timedelta(0)
"""429s at once: holding them (HOOKLINE_THROTTLE_DELAY) is shown by tests/test_request_limits.py."""


@pytest.fixture
async def limited(settings: Settings, clock: FrozenClock) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with another_api_process(
        settings, clock, rate_limit_per_s=RATE, throttle_delay=NO_DELAY
    ) as process:
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


async def _answer_without_reading_the_body(app: ASGIApp, headers: dict[str, str]) -> tuple[int, bytes]:
    """Status and body of a POST whose body never arrives: reading it would fail the test."""
    sent: list[Message] = []

    async def receive() -> Message:
        pytest.fail("the body was read before the request was refused")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/events", "raw_path": b"/api/events", "query_string": b"",
        "root_path": "", "client": ("192.0.2.1", 4000), "server": ("hookline.test", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-type", b"application/json"), (b"content-length", b"100000")],
    }  # fmt: skip
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_refusals_are_decided_before_the_body_is_read(
    limited: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, _ = limited
    app = create_app(runtime, run_worker=False)
    key = await make_key(runtime, "acme", "publisher")
    for _ in range(RATE):  # the key spends its rate
        await app.state.admission.admit(key["Authorization"].removeprefix("Bearer "), "192.0.2.1")
    assert (await _answer_without_reading_the_body(app, {}))[0] == 401
    status, body = await _answer_without_reading_the_body(app, bearer("hl_unknown"))
    assert (status, json.loads(body)["status"]) == (401, 401)
    status, body = await _answer_without_reading_the_body(app, key)
    assert (status, json.loads(body)["status"]) == (429, 429)


async def test_unknown_keys_are_limited_per_client_address_and_valid_keys_still_pass(
    settings: Settings, clock: FrozenClock
) -> None:
    async with another_api_process(
        settings, clock, unknown_key_rate_limit_per_s=1, throttle_delay=NO_DELAY
    ) as (runtime, _):
        app = create_app(runtime, run_worker=False)
        key = await make_key(runtime, "acme", "subscriber")

        def client(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 4000))
            return httpx.AsyncClient(transport=transport, base_url="http://hookline.test")

        async with client("192.0.2.1") as flooding, client("192.0.2.2") as elsewhere:
            assert (await flooding.get("/api/webhook-registrations", headers=key)).status_code == 200
            guesses = [
                (
                    await flooding.get("/api/webhook-registrations", headers=bearer(f"hl_guess_{n}"))
                ).status_code
                for n in range(UNKNOWN_KEY_BURST_S + 1)
            ]
            assert guesses == [401] * UNKNOWN_KEY_BURST_S + [429]
            refused = await flooding.get("/api/webhook-registrations", headers=bearer("hl_guess_again"))
            assert_problem(refused, 429)
            assert refused.headers["Retry-After"] == "1"
            assert "address" in refused.json()["detail"]
            # a key this process checked lately needs no look-up: it passes
            assert (await flooding.get("/api/webhook-registrations", headers=key)).status_code == 200
            assert_problem(await elsewhere.get("/api/webhook-registrations", headers=bearer("hl_x")), 401)
            clock.advance(timedelta(seconds=1))
            assert_problem(await flooding.get("/api/webhook-registrations", headers=bearer("hl_y")), 401)
            assert_problem(await flooding.get("/api/webhook-registrations", headers=bearer("hl_z")), 429)

            # once its cache entry is due, a known key is still looked up again from that address
            clock.advance(KEY_RECHECK + timedelta(seconds=1))
            for n in range(UNKNOWN_KEY_BURST_S + 1):
                await flooding.get("/api/webhook-registrations", headers=bearer(f"hl_later_{n}"))
            assert_problem(await flooding.get("/api/webhook-registrations", headers=bearer("hl_w")), 429)
            assert (await flooding.get("/api/webhook-registrations", headers=key)).status_code == 200
