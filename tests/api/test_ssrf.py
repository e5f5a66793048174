"""The SSRF guard at registration: private, loopback, link-local and shared addresses are
refused in every spelling, unless HOOKLINE_ALLOWED_TARGET_NETWORKS admits them."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.delivery.guard import TargetGuard
from hookline.runtime import Runtime
from hookline.service import registrations as registrations_module
from tests.api.support import assert_problem, registration_body
from tests.conftest import another_api_process, asgi_client
from tests.ssrf_forms import CANONICAL, FORMS, Form, ScriptedResolver, named_url


@pytest.fixture
async def strict_api(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """An API process with the production default: no network is exempt from the guard."""
    async with another_api_process(settings, clock, allowed_target_networks=()) as (_, client):
        yield client


@pytest.fixture
async def scripted_api(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """The production default, with a name server that answers each form's address for its name."""
    runtime = Runtime(replace(settings, allowed_target_networks=()), clock, resolver=ScriptedResolver)
    await runtime.start(run_worker=False)
    try:
        async with asgi_client(runtime) as client:
            yield client
    finally:
        await runtime.stop()


def _verdict(response: httpx.Response) -> str | None:
    """None for 201; the targetUrl message of a 422 problem (anything else fails the test)."""
    if response.status_code == 201:
        return None
    problem = assert_problem(response, 422)
    [error] = problem["errors"]
    assert error["field"] == "targetUrl"
    message: str = error["message"]
    assert message in problem["detail"]
    return message


def _mismatch(form: Form, url: str, message: str | None, *, by_name: bool) -> str | None:
    """What is wrong with the answer for `url`, or None when it is right."""
    if form.because is None:
        return None if message is None else f"{url}: refused ({message}) but must stay allowed"
    if message is None:
        return f"{url}: accepted (201) but reaches {form.address}"
    if form.spelling_refused and not by_name:
        expected = CANONICAL
    else:
        expected = f"is not allowed: {ipaddress.ip_address(form.address)} is not a public address"
    if expected not in message or (expected != CANONICAL and form.because not in message):
        return f"{url}: refused with {message!r}, expected {expected!r} and {form.because!r}"
    return None


async def test_every_form_of_the_table_is_judged_at_registration(
    scripted_api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    """Each URL of the SSRF table, as an IP literal and as a name resolving to its address, on
    create and on PATCH: hostile ones are 422 naming the registry row, public ones stay allowed."""
    created = await scripted_api.post(
        "/api/webhook-registrations", headers=subscriber, json=registration_body("https://8.8.4.4/start")
    )
    assert created.status_code == 201, created.text
    patched_url = f"/api/webhook-registrations/{created.json()['id']}"
    wrong: list[str | None] = []
    for index, form in enumerate(FORMS):
        for url, by_name in ((form.url, False), (named_url(index, form), True)):
            answer = await scripted_api.post(
                "/api/webhook-registrations", headers=subscriber, json=registration_body(url)
            )
            wrong.append(_mismatch(form, url, _verdict(answer), by_name=by_name))
            if form.because is not None:
                patch = await scripted_api.patch(patched_url, headers=subscriber, json={"targetUrl": url})
                wrong.append(_mismatch(form, f"PATCH {url}", _verdict(patch), by_name=by_name))
    assert [line for line in wrong if line is not None] == []
    unchanged = await scripted_api.get(patched_url, headers=subscriber)
    assert unchanged.json()["targetUrl"] == "https://8.8.4.4/start"


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
