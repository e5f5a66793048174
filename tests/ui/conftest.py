"""UI fixtures: signed-in clients, a seeded organization, the app served over real HTTP, and
a real browser (see tests/ui/browser.py).

Browser tests drive Debian's Chromium (`apt-get install chromium`) through Playwright and check
pages with axe-core; they are skipped when either is missing, unless HOOKLINE_REQUIRE_BROWSER=1
(as in CI): then they fail and say why.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from hookline.api.app import create_app
from hookline.clock import FrozenClock
from hookline.domain.enums import AuthorizationType, Role, WebhookEventType
from hookline.domain.subscriptions import EventChoice
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationDraft, TargetAuthorization
from tests.conftest import Receiver, Reply
from tests.ui import browser as browsing

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
            enabled_events=[
                EventChoice("Process", WebhookEventType.UPDATED),
                EventChoice("Tenant", WebhookEventType.CREATED),
            ],
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
def seeded_before_sign_in(request: pytest.FixtureRequest) -> None:
    """Seeding moves the clock on by days, and a UI session lasts 12 hours of that clock: a test
    that seeds seeds first, then signs in."""
    if "seeded" in request.fixturenames:
        request.getfixturevalue("seeded")


@pytest.fixture
async def signed_in(
    api: httpx.AsyncClient, runtime: Runtime, seeded_before_sign_in: None
) -> httpx.AsyncClient:
    """`api` with a subscriber of acme signed in to the UI."""
    await sign_in(api, await new_key(runtime, "acme", Role.SUBSCRIBER))
    return api


@pytest.fixture(scope="session")
def chromium_endpoint() -> Iterator[str]:
    """One Chromium for the whole test session (per xdist worker): its DevTools endpoint."""
    why = browsing.missing()
    if why is not None:
        if browsing.REQUIRE_BROWSER:
            pytest.fail(why)
        pytest.skip(why)
    yield from browsing.running_chromium()


@pytest.fixture(scope="session")
def axe_source(chromium_endpoint: str) -> str:
    return browsing.AXE_JS.read_text()


@pytest.fixture
async def browser(chromium_endpoint: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        connected = await playwright.chromium.connect_over_cdp(chromium_endpoint)
        try:
            yield connected
        finally:
            await connected.close()


@pytest.fixture
def look(request: pytest.FixtureRequest, axe_source: str) -> browsing.Looker:
    """`await look(page, "name")` after every page a test visits (the `page` fixture checks)."""
    return browsing.Looker(request.node.name, axe_source)


@pytest.fixture
async def page(browser: Browser, look: browsing.Looker) -> AsyncIterator[Page]:
    """A page in a fresh context that fails the test on script errors, failed sub-resources,
    and any UI page it visited but `look` never checked."""
    context = await browser.new_context(viewport={"width": browsing.WIDTHS[0], "height": browsing.HEIGHT})
    opened = await context.new_page()
    errors: list[str] = []
    visited: set[str] = set()
    opened.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    opened.on(  # e.g. a Content-Security-Policy violation; HTTP statuses are checked below
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    opened.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} for {response.url}")
            if response.status >= 400 and response.request.resource_type != "document"
            else None
        ),
    )
    opened.on(
        "framenavigated",
        lambda frame: visited.add(browsing.path_of(frame.url)) if frame == opened.main_frame else None,
    )
    try:
        yield opened
    finally:
        await context.close()
    assert errors == [], f"the page had errors: {errors}"
    unchecked = {path for path in visited if path.startswith("/ui")} - look.looked
    assert not unchecked, f"pages visited without `look` (axe, widths, screenshot): {sorted(unchecked)}"


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
