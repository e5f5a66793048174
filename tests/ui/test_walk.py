"""The issue's "Done when", walked in a real Chromium over real HTTP, on SQLite and PostgreSQL:
sign in; create a registration in the form (an invalid URL first); publish through the API and
watch the webhook appear without a reload; rotate the secret and verify the next delivery's
signature with the new one; pause, publish, resume and see the held webhook delivered; read a
delivery's payload and request headers; resolve a blocked group from its Pending webhook's page;
bulk-retry failed webhooks after a dry run; delete the registration."""

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
from tests.conftest import Receiver, Reply, bearer
from tests.ui.browser import Looker
from tests.ui.conftest import new_key

pytestmark = pytest.mark.browser


async def test_the_walk(
    page: Page, look: Looker, live_url: str, runtime: Runtime, receiver: Receiver, clock: FrozenClock
) -> None:
    publisher = bearer(await new_key(runtime, "acme", Role.PUBLISHER))
    subscriber = bearer(await new_key(runtime, "acme", Role.SUBSCRIBER))
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

    # open the attempt and read its payload and request headers
    await page.get_by_role("link", name=first_id).click()
    await expect(page.locator("#webhook-state")).to_have_text("Successful")
    await expect(page.locator("#payload")).to_contain_text('"entityId": "7"')
    request = page.get_by_role("region", name="Request of attempt 1")
    await expect(request).to_contain_text("webhook-signature")
    await expect(request).to_contain_text(first_id)
    await look(page, "webhook-delivered")

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

    # bulk-retry failed webhooks after a dry run; resolve a blocked group from the Pending page
    registration_id = registration_page.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=live_url, headers=subscriber) as api:
        changed = await api.patch(
            f"/api/webhook-registrations/{registration_id}", json={"retrySchedule": [], "shouldGroup": True}
        )
        assert changed.status_code == 200, changed.text
    receiver.default = Reply(500, "down")
    async with httpx.AsyncClient(base_url=live_url, headers=publisher) as api:
        ids = []
        for entity_id, kind in (("9", 2), ("9", 2), ("10", 1)):
            answer = await api.post(
                "/api/events", json={"entityName": "Process", "type": kind, "entityId": entity_id}
            )
            assert answer.status_code == 202, answer.text
            ids += answer.json()["webhookIds"]
    blocker_id, pending_id, lone_id = ids
    assert await runtime.worker.deliver_due() == 2  # the first of group Process:9, and Process:10
    receiver.default = Reply(200, "fine")

    await page.goto(f"{live_url}/ui/webhooks/{pending_id}")
    await expect(page.locator("#webhook-state")).to_have_text("Pending")
    await expect(page.get_by_role("link", name=blocker_id)).to_be_visible()
    await look(page, "webhook-blocked")
    await page.get_by_role("button", name="Resolve", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("the group moves on")
    await expect(page.locator("#webhook-state")).to_have_text("Created")

    await page.goto(f"{live_url}/ui/webhooks?state=Failed")
    await expect(page.get_by_role("link", name=lone_id)).to_be_visible()
    await look(page, "webhooks-failed")
    await page.get_by_role("button", name="Retry all…").click()
    await expect(page.get_by_role("heading", name="Retry 1 webhook?")).to_be_visible()
    await look(page, "bulk-confirm")
    await page.get_by_role("button", name="Retry 1 webhook").click()
    await expect(page.get_by_role("status")).to_contain_text("Retrying 1 webhook")
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 2  # the released Pending one and the retried one
    for delivered in (pending_id, lone_id):
        assert (await runtime.hookline.get_webhook(delivered, None)).state.label == "Successful"

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
