"""Every page of the UI in a real Chromium, as an admin, a subscriber and a publisher: axe-core
finds no serious or critical violation at 1280 and 375 px, no page scrolls sideways on a phone,
and each page leaves a screenshot under artifacts/ui/."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from hookline.domain.enums import Role
from hookline.runtime import Runtime
from tests.ui.browser import Looker
from tests.ui.conftest import Seeded, new_key

pytestmark = pytest.mark.browser


async def sign_in(page: Page, base: str, key: str) -> None:
    await page.goto(f"{base}/ui/login")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()


async def test_every_page_as_an_admin(
    page: Page, look: Looker, live_url: str, runtime: Runtime, seeded: Seeded
) -> None:
    await page.goto(f"{live_url}/ui/login")
    await look(page, "sign-in")
    await sign_in(page, live_url, await new_key(runtime, "acme", Role.ADMIN))
    tour = {
        "overview": "/ui",
        "registrations": "/ui/registrations",
        "registration": f"/ui/registrations/{seeded.registration_id}",
        "webhooks": "/ui/webhooks",
        "webhook-failed": f"/ui/webhooks/{seeded.failed_id}",
        "webhook-successful": f"/ui/webhooks/{seeded.successful_id}",
        "api-keys": "/ui/api-keys",
        "sign-out": "/ui/logout",
        "not-found": "/ui/nothing-here",
    }
    for name, path in tour.items():
        await page.goto(f"{live_url}{path}")
        await look(page, name)
    await page.goto(f"{live_url}/ui/registrations/{seeded.registration_id}")
    await page.get_by_label("Since (UTC)").fill("2026-01-05T00:00")
    await page.get_by_role("button", name="Count matching webhooks").click()
    await expect(page.get_by_role("heading", name="Recover 1 webhook?")).to_be_visible()
    await look(page, "recover-confirm")
    await page.get_by_role("button", name="Recover 1 webhook").click()
    await expect(page.get_by_role("status").first).to_contain_text("Recovering 1 webhook")
    await look(page, "registration-recovering")

    await page.goto(f"{live_url}/ui/api-keys")
    await page.get_by_label("Organization").fill("globex")
    await page.get_by_label("Role").select_option("publisher")
    await page.get_by_role("button", name="Create key").click()
    await expect(page.get_by_role("status")).to_contain_text("API key created")
    await look(page, "api-key-created")
    await page.get_by_role("button", name="Create key").click()
    await expect(page.locator("#organizationId-error")).to_have_text(
        "Enter the organization the key belongs to."
    )
    await look(page, "api-key-refused")
    await page.goto(f"{live_url}/ui/webhooks?state=Lost")
    await expect(page.get_by_role("alert")).to_be_visible()
    await look(page, "webhooks-bad-filter")


async def test_every_page_as_a_subscriber_and_a_publisher(
    page: Page, look: Looker, live_url: str, runtime: Runtime, seeded: Seeded
) -> None:
    await sign_in(page, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    await look(page, "overview-subscriber")
    await page.goto(f"{live_url}/ui/registrations/{seeded.registration_id}")
    await look(page, "registration-subscriber")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await look(page, "signed-out")
    await page.get_by_label("API key").fill(await new_key(runtime, "acme", Role.PUBLISHER))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="This is a publisher key")).to_be_visible()
    await look(page, "publisher")
