"""Live updates: pages carry an ETag (304 while unchanged), and the overview and lists update
in the browser without a reload, unless "Pause live updates" was pressed.

The page's timers run on Playwright's fake clock, so a test moves time on instead of waiting.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, Request, expect

from hookline.domain.enums import Role, WebhookEventType
from hookline.runtime import Runtime
from hookline.service import EventDraft
from hookline.ui.rendering import LIVE_INTERVAL_MS
from tests.ui.browser import Looker
from tests.ui.conftest import Seeded, new_key


async def sign_in_on_a_fake_clock(page: Page, look: Looker, base: str, runtime: Runtime) -> None:
    await page.clock.install()
    await page.goto(f"{base}/ui/login")
    await look(page, "sign-in")
    await page.get_by_label("API key").fill(await new_key(runtime, "acme", Role.SUBSCRIBER))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()


async def open_on_a_fake_clock(page: Page, look: Looker, base: str, runtime: Runtime, path: str) -> None:
    """Signed in, the overview checked, then `path` opened: its timers wait for the test."""
    await sign_in_on_a_fake_clock(page, look, base, runtime)
    await look(page, "overview")
    await page.goto(f"{base}{path}")


async def test_a_page_answers_304_until_it_changes(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    first = await signed_in.get("/ui/webhooks")
    etag = first.headers["etag"]
    same = await signed_in.get("/ui/webhooks", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same.headers["cache-control"] == "no-store"
    await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "77"))
    changed = await signed_in.get("/ui/webhooks", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "#77" in changed.text


@pytest.mark.browser
async def test_the_overview_updates_by_itself_until_paused(
    page: Page, look: Looker, live_url: str, runtime: Runtime, seeded: Seeded
) -> None:
    await sign_in_on_a_fake_clock(page, look, live_url, runtime)
    await expect(page.locator('[data-state="Created"] .count-value')).to_have_text("0")
    toggle = page.get_by_role("button", name="Pause live updates")
    await expect(toggle).to_be_visible()
    await look(page, "overview-live")

    published = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "31"))
    await page.clock.run_for(LIVE_INTERVAL_MS + 100)
    await expect(page.get_by_role("link", name=published.webhook_ids[0])).to_be_visible()
    await expect(page.locator('[data-state="Created"] .count-value')).to_have_text("1")

    await toggle.click()
    resume = page.get_by_role("button", name="Resume live updates")
    await expect(resume).to_be_visible()
    await expect(page.get_by_text("Live updates paused.")).to_be_visible()
    polls: list[Request] = []
    page.on("request", lambda request: polls.append(request) if request.resource_type == "fetch" else None)
    held = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "32"))
    await page.clock.run_for(5 * LIVE_INTERVAL_MS)
    assert polls == []
    await expect(page.get_by_role("link", name=held.webhook_ids[0])).to_have_count(0)

    await resume.click()
    await page.clock.run_for(LIVE_INTERVAL_MS + 100)
    await expect(page.get_by_role("link", name=held.webhook_ids[0])).to_be_visible()
    await expect(page.get_by_role("button", name="Pause live updates")).to_be_visible()


@pytest.mark.browser
async def test_the_webhooks_list_and_a_webhook_update_by_themselves(
    page: Page, look: Looker, live_url: str, runtime: Runtime, seeded: Seeded
) -> None:
    await open_on_a_fake_clock(page, look, live_url, runtime, "/ui/webhooks?entityName=Tenant&entityId=41")
    await expect(page.get_by_text("No webhooks match.")).to_be_visible()
    await look(page, "webhooks-live-empty")
    published = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "41"))
    await page.clock.run_for(LIVE_INTERVAL_MS + 100)
    await page.get_by_role("link", name=published.webhook_ids[0]).click()
    await expect(page.locator("#webhook-state")).to_have_text("Created")
    await look(page, "webhook-created")
    assert await runtime.worker.deliver_due() == 1
    await page.clock.run_for(LIVE_INTERVAL_MS + 100)
    await expect(page.locator("#webhook-state")).to_have_text("Successful")
    await expect(page.locator("ol.attempts > li")).to_have_count(1)


@pytest.mark.browser
async def test_a_registration_updates_by_itself_but_never_swaps_the_region_holding_focus(
    page: Page, look: Looker, live_url: str, runtime: Runtime, seeded: Seeded
) -> None:
    await open_on_a_fake_clock(page, look, live_url, runtime, f"/ui/registrations/{seeded.registration_id}")
    await expect(page.get_by_role("button", name="Pause live updates")).to_be_visible()
    await expect(page.get_by_role("button", name="Pause", exact=True)).to_have_count(1)
    first = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "51"))
    await page.clock.run_for(LIVE_INTERVAL_MS + 100)
    await expect(page.get_by_role("link", name=first.webhook_ids[0])).to_be_visible()
    await look(page, "registration-live")

    everything = page.get_by_role("link", name="All webhooks of this registration")
    await everything.focus()  # inside the recent webhooks, which must then wait
    held = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "52"))
    await runtime.hookline.pause_registration(seeded.registration_id, None)
    await page.clock.run_for(2 * LIVE_INTERVAL_MS + 100)
    await expect(page.get_by_text("Paused since")).to_be_visible()  # another region did update
    await expect(page.locator("#live-badge")).to_have_text("Paused")
    await expect(page.get_by_role("link", name=held.webhook_ids[0])).to_have_count(0)
    await expect(everything).to_be_focused()

    await page.get_by_role("button", name="Pause live updates").focus()
    await page.clock.run_for(LIVE_INTERVAL_MS + 100)
    await expect(page.get_by_role("link", name=held.webhook_ids[0])).to_be_visible()
