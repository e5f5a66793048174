"""The issue's "Done when", walked in a real Chromium over real HTTP, on SQLite and PostgreSQL:
sign in; create a registration in the form (an invalid URL first); publish through the API and
watch the webhook appear without a reload; rotate the secret and verify the next delivery's
signature with the new one; pause, publish, resume and see the held webhook delivered; delete
the registration."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Page, expect

from hookline.clock import FrozenClock
from hookline.domain.enums import Role
from hookline.runtime import Runtime
from hookline.ui.rendering import LIVE_INTERVAL_MS
from tests.api.support import FrozenWebhook
from tests.conftest import Receiver, bearer
from tests.ui.browser import Looker
from tests.ui.conftest import new_key

pytestmark = pytest.mark.browser


async def test_the_walk(
    page: Page, look: Looker, live_url: str, runtime: Runtime, receiver: Receiver, clock: FrozenClock
) -> None:
    publisher = bearer(await new_key(runtime, "acme", Role.PUBLISHER))
    await page.clock.install()

    # sign in
    await page.goto(f"{live_url}/ui")
    await expect(page).to_have_url(re.compile(r"/ui/login"))
    await look(page, "sign-in")
    await page.get_by_label("API key").fill(await new_key(runtime, "acme", Role.SUBSCRIBER))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await look(page, "overview")

    # create a registration in the form: an invalid URL first, its message shown
    await page.get_by_role("link", name="Registrations", exact=True).click()
    await look(page, "registrations")
    await page.get_by_role("link", name="New registration").click()
    await page.get_by_label("Target URL").fill("http://")
    await page.get_by_label("Description").fill("the walk")
    await page.get_by_label("Process Created").check()
    await page.get_by_label("Process Updated").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#targetUrl-error")).to_have_text("Must name a host.")
    await look(page, "registration-refused")
    await page.get_by_label("Target URL").fill(receiver.url("/walk"))
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Registration created.")
    first_secret = (await page.locator("#signing-secret").text_content() or "").strip()
    await look(page, "registration-created")
    registration_page = page.url

    # publish through the API and watch it appear without a reload
    await page.get_by_role("link", name="Webhooks", exact=True).click()
    await expect(page.get_by_text("No webhooks match.")).to_be_visible()
    await look(page, "webhooks-empty")
    async with httpx.AsyncClient(base_url=live_url, headers=publisher) as api:
        answer = await api.post("/api/events", json={"entityName": "Process", "type": 1, "entityId": "7"})
        assert answer.status_code == 202, answer.text
        [first_id] = answer.json()["webhookIds"]
    await page.clock.run_for(LIVE_INTERVAL_MS + 100)
    await expect(page.get_by_role("link", name=first_id)).to_be_visible()
    assert await runtime.worker.deliver_due() == 1
    FrozenWebhook(first_secret, clock).verify(receiver.requests[0].body, receiver.requests[0].headers)

    # rotate the secret and verify the next delivery's signature with the new one
    await page.goto(registration_page)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Rotate secret").click()
    await expect(page.get_by_role("status")).to_contain_text("Signing secret rotated")
    new_secret = (await page.locator("#signing-secret").text_content() or "").strip()
    assert new_secret != first_secret
    await look(page, "registration-rotated")
    async with httpx.AsyncClient(base_url=live_url, headers=publisher) as api:
        answer = await api.post("/api/events", json={"entityName": "Process", "type": 2, "entityId": "7"})
        assert answer.status_code == 202, answer.text
    assert await runtime.worker.deliver_due() == 1
    FrozenWebhook(new_secret, clock).verify(receiver.requests[1].body, receiver.requests[1].headers)

    # pause, publish, resume, and see the held webhooks delivered
    await page.goto(registration_page)
    await page.get_by_role("button", name="Pause", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Paused")
    await look(page, "registration-paused")
    async with httpx.AsyncClient(base_url=live_url, headers=publisher) as api:
        answer = await api.post("/api/events", json={"entityName": "Process", "type": 2, "entityId": "8"})
        assert answer.status_code == 202, answer.text
        [held_id] = answer.json()["webhookIds"]
    assert await runtime.worker.deliver_due() == 0
    await page.goto(f"{live_url}/ui/webhooks/{held_id}")
    await expect(page.locator("#webhook-state")).to_have_text("Pending")
    await look(page, "webhook-held")
    await page.goto(registration_page)
    await page.get_by_role("button", name="Resume", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Resumed")
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1
    await page.goto(f"{live_url}/ui/webhooks/{held_id}")
    await expect(page.locator("#webhook-state")).to_have_text("Successful")
    assert len(receiver.requests) == 3

    # delete the registration
    await page.goto(registration_page)
    await page.get_by_role("button", name="Delete").click()
    await look(page, "registration-delete")
    await page.get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("status")).to_contain_text("Deleted")
    await look(page, "registrations-after-delete")
    await page.goto(registration_page)
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await look(page, "registration-gone")
