"""UI fixtures: signed-in clients, a seeded organization, and the app served over real HTTP.

Browser tests drive Debian's Chromium (`apt-get install chromium`) through Playwright; they are
skipped when /usr/bin/chromium is missing, unless HOOKLINE_REQUIRE_BROWSER=1 (as in CI): then
they fail and say why.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from hookline.api.app import create_app
from hookline.clock import FrozenClock
from hookline.domain.enums import AuthorizationType, Role, WebhookEventType
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationDraft, TargetAuthorization
from tests.conftest import Receiver, Reply

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("HOOKLINE_REQUIRE_BROWSER") == "1"

PASSWORD = "pa55-W0rd-never-shown"
USERNAME = "hook-user"
EVIL_BODY = '<script>alert("pwned")</script> upstream exploded'
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def new_key(runtime: Runtime, organization: str, role: Role) -> str:
    """A plain API key, as a person would paste it into the sign-in form."""
    _, key = await runtime.hookline.create_api_key(organization, role, f"{role.name.lower()} ui test")
    return key


async def sign_in(client: httpx.AsyncClient, key: str) -> None:
    answer = await client.post("/ui/login", data={"key": key})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/ui"
    assert key not in answer.headers["set-cookie"]  # the cookie carries the key only encrypted


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Seeded:
    """One organization with a Basic-auth registration, a Failed and a Successful webhook."""

    organization: str
    registration_id: str
    signing_secret: str
    failed_id: str
    successful_id: str


async def seed(
    runtime: Runtime, clock: FrozenClock, receiver: Receiver, organization: str = "acme"
) -> Seeded:
    service = runtime.hookline
    registration, secret = await service.register(
        RegistrationDraft(
            organization_id=organization,
            target_url=receiver.url(f"/{organization}"),
            enabled_events=[("Process", WebhookEventType.UPDATED), ("Tenant", WebhookEventType.CREATED)],
            target_authorization=TargetAuthorization(AuthorizationType.BASIC, USERNAME, PASSWORD),
            description=f"{organization}'s receiver",
        )
    )
    failing = await service.publish(
        EventDraft(organization, "Process", WebhookEventType.UPDATED, "42", data={"n": 1})
    )
    receiver.default = Reply(500, EVIL_BODY)
    # every attempt fails: the webhook ends Failed
    for _ in range(runtime.settings.retry_policy.max_attempts):
        await runtime.worker.deliver_due()
        clock.advance(timedelta(days=2))
    receiver.default = Reply(200, "thanks")
    succeeding = await service.publish(
        EventDraft(organization, "Tenant", WebhookEventType.CREATED, "7", data={"n": 2})
    )
    assert await runtime.worker.deliver_due() == 1
    return Seeded(organization, registration.id, secret, failing.webhook_ids[0], succeeding.webhook_ids[0])


@pytest.fixture
async def seeded(runtime: Runtime, clock: FrozenClock, receiver: Receiver) -> Seeded:
    return await seed(runtime, clock, receiver)


@pytest.fixture
async def signed_in(api: httpx.AsyncClient, runtime: Runtime) -> httpx.AsyncClient:
    """`api` with a subscriber of acme signed in to the UI."""
    await sign_in(api, await new_key(runtime, "acme", Role.SUBSCRIBER))
    return api


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
async def live_url(runtime: Runtime) -> AsyncIterator[str]:
    """The app on a real socket; the `runtime` fixture owns start and stop, so no lifespan."""
    config = uvicorn.Config(
        create_app(runtime, run_worker=False),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws="none",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
