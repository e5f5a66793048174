"""The SSRF guard at registration: private, loopback, link-local and shared addresses are
refused in every spelling, unless HOOKLINE_ALLOWED_TARGET_NETWORKS admits them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.delivery.guard import TargetGuard
from hookline.runtime import Runtime
from hookline.service import registrations as registrations_module
from tests.api.support import assert_problem, registration_body
from tests.conftest import another_api_process

BLOCKED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://localhost/hook",  # a name that resolves to loopback
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::]/hook",
    "http://10.0.0.1/hook",
    "http://172.16.0.1/hook",
    "http://172.31.255.254/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://[fc00::1]/hook",
    "http://[fd12:3456::1]/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",  # multicast
]
NON_CANONICAL = [
    "http://2130706433/hook",  # 127.0.0.1 as one decimal number
    "http://0177.0.0.1/hook",  # octal
    "http://0x7f.0.0.1/hook",  # hexadecimal
    "http://127.1/hook",  # short form
    "http://010.0.0.1/hook",  # a leading zero
]


@pytest.fixture
async def strict_api(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """An API process with the production default: no network is exempt from the guard."""
    async with another_api_process(settings, clock, allowed_target_networks=()) as (_, client):
        yield client


@pytest.mark.parametrize("url", BLOCKED)
async def test_a_non_public_target_is_refused_at_registration(
    strict_api: httpx.AsyncClient, subscriber: dict[str, str], url: str
) -> None:
    response = await strict_api.post(
        "/api/webhook-registrations", headers=subscriber, json=registration_body(url)
    )

    problem = assert_problem(response, 422)
    [error] = problem["errors"]
    assert error["field"] == "targetUrl"
    assert "is not allowed" in error["message"]


@pytest.mark.parametrize("url", NON_CANONICAL)
async def test_numeric_hosts_in_other_spellings_are_refused_even_where_loopback_is_allowed(
    api: httpx.AsyncClient, subscriber: dict[str, str], url: str
) -> None:
    """Resolvers read them as addresses, aiohttp refuses them: neither check nor send is safe."""
    response = await api.post("/api/webhook-registrations", headers=subscriber, json=registration_body(url))

    problem = assert_problem(response, 422)
    [error] = problem["errors"]
    assert error["field"] == "targetUrl"
    assert "canonical IP address" in error["message"]


async def test_a_public_address_is_accepted(
    strict_api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    """A literal public address needs no lookup, so this sends nothing anywhere."""
    response = await strict_api.post(
        "/api/webhook-registrations", headers=subscriber, json=registration_body("https://93.184.216.34/hook")
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://[::1]:9/hook"])
async def test_loopback_is_accepted_only_where_allowed(
    api: httpx.AsyncClient, strict_api: httpx.AsyncClient, subscriber: dict[str, str], url: str
) -> None:
    assert (
        await strict_api.post("/api/webhook-registrations", headers=subscriber, json=registration_body(url))
    ).status_code == 422
    allowed = await api.post("/api/webhook-registrations", headers=subscriber, json=registration_body(url))
    assert allowed.status_code == 201, allowed.text


class SilentDns(TargetGuard):
    """A name server that never answers: a real one cannot be made slow on demand here."""

    async def check_host(self, host: str, port: int) -> None:
        await asyncio.Event().wait()


async def test_a_host_that_does_not_resolve_in_time_is_refused_without_holding_the_request(
    api: httpx.AsyncClient, runtime: Runtime, subscriber: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registrations_module, "RESOLVE_TIMEOUT_S", 0.05)
    runtime.hookline.guard = SilentDns()

    response = await api.post(
        "/api/webhook-registrations", headers=subscriber, json=registration_body("http://slow.example/hook")
    )

    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"field": "targetUrl", "message": "host did not resolve within 0.05 s; try again"}
    ]
    listed = await api.get("/api/webhook-registrations", headers=subscriber)
    assert listed.json()["totalCount"] == 0
