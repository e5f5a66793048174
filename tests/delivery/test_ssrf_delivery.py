"""The SSRF table at delivery, through the resolver seam: targets registered while every network
was allowed (or whose name now answers differently) are refused before any connection.

Nothing leaves this machine: an audit hook refuses every socket connection outside loopback
while the test runs and records each one to the targets' port, so a guard that let a hostile
address through fails the test instead of reaching the address. The public forms must get as
far as that hook: proof that the guard lets them through.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.enums import WebhookState
from hookline.runtime import Runtime
from tests.conftest import asgi_client
from tests.delivery.conftest import Client
from tests.ssrf_forms import FORMS, HOSTILE, PUBLIC, Form, ScriptedResolver, named_url

EVERY_NETWORK = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class Connections:
    """What the audit hook saw: the addresses connected to on `port` while `armed`."""

    def __init__(self) -> None:
        self.armed = False
        self.port = 0
        self.seen: list[str] = []

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.armed or event != "socket.connect" or not isinstance(args[1], tuple):
            return
        host, port = str(args[1][0]), int(args[1][1])
        address = ipaddress.ip_address(host.split("%")[0])
        if port == self.port:
            self.seen.append(str(address))
        if not any(address in network for network in LOOPBACK):
            raise PermissionError(f"test: no connection outside loopback ({host})")


CONNECTIONS = Connections()
sys.addaudithook(CONNECTIONS.hook)  # audit hooks cannot be removed; `armed` confines it to this test


@pytest.fixture
def connections(closed_port: int) -> Iterator[Connections]:
    CONNECTIONS.port, CONNECTIONS.seen, CONNECTIONS.armed = closed_port, [], True
    try:
        yield CONNECTIONS
    finally:
        CONNECTIONS.armed = False


@pytest.fixture
async def permissive(settings: Settings, clock: FrozenClock, admin: dict[str, str]) -> AsyncIterator[Client]:
    """An API process that allowed every network when the targets were registered."""
    runtime = Runtime(
        replace(settings, allowed_target_networks=EVERY_NETWORK), clock, resolver=ScriptedResolver
    )
    await runtime.start(run_worker=False)
    try:
        async with asgi_client(runtime) as http:
            yield Client(http, admin)
    finally:
        await runtime.stop()


@pytest.fixture
async def strict(settings: Settings, clock: FrozenClock) -> AsyncIterator[Runtime]:
    """The delivering process: the production default, no network exempt."""
    runtime = Runtime(replace(settings, allowed_target_networks=()), clock, resolver=ScriptedResolver)
    await runtime.start(run_worker=False)
    try:
        yield runtime
    finally:
        await runtime.stop()


def _on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path, parts.query, ""))


def _targets(port: int) -> dict[str, Form]:
    """Every form as a name the scripted resolver answers, and as an IP literal where registration
    takes its spelling, all on `port`."""
    targets = {_on_port(named_url(index, form), port): form for index, form in enumerate(FORMS)}
    targets |= {_on_port(form.url, port): form for form in FORMS if not form.spelling_refused}
    return targets


async def test_every_form_of_the_table_is_refused_at_delivery_before_connecting(
    permissive: Client, strict: Runtime, connections: Connections
) -> None:
    targets = _targets(connections.port)
    by_registration = {(await permissive.register(url))["id"]: url for url in targets}
    assert len(await permissive.publish()) == len(targets)

    attempts = 0
    while made := await strict.worker.deliver_due():
        attempts += made
    assert attempts == len(targets)

    listed = await permissive.http.get("/api/webhooks?pageSize=500", headers=permissive.headers)
    wrong = []
    for webhook in listed.json()["items"]:
        url = by_registration[webhook["registrationId"]]
        [attempt] = await permissive.attempts(webhook["id"])
        error, form = str(attempt["error"]), targets[url]
        if form.because is None:
            if error.startswith("blocked target"):
                wrong.append(f"{url}: blocked ({error}) but must stay allowed")
        elif not error.startswith("blocked target: ") or form.because not in error:
            wrong.append(f"{url}: {error!r}, expected blocked for {form.because!r}")
        elif webhook["state"] != WebhookState.FAILED:
            wrong.append(f"{url}: blocked but in state {webhook['state']}, not Failed at once")
    assert wrong == []
    public = {str(ipaddress.ip_address(form.address)) for form in PUBLIC}
    assert set(connections.seen) == public  # each public form got as far as connecting; no other
    assert len(HOSTILE) >= 60
