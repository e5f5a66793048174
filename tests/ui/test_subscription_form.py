"""The registration form's "All entities" / "All types" and its filter on data, in a real
Chromium (axe on every page), and the edit form when entries have filters of their own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from hookline.domain.enums import Role, WebhookEventType
from hookline.domain.subscriptions import EventChoice
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationDraft, RegistrationFilter
from tests.conftest import Receiver
from tests.ui.browser import Looker
from tests.ui.conftest import csrf_of, new_key
from tests.ui.test_browser import sign_in


@pytest.mark.browser
async def test_subscribe_to_everything_with_a_filter_from_the_form(
    page: Page, look: Looker, live_url: str, runtime: Runtime, receiver: Receiver
) -> None:
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    await look(page, "overview-before-wildcards")
    await page.goto(f"{live_url}/ui/registrations/new")
    await look(page, "registration-new-wildcards")
    await page.get_by_label("Target URL").fill(receiver.url("/all"))
    await page.get_by_label("All entities All types").check()
    await page.get_by_label("Webhook Updated").check()
    await page.get_by_label("Filter on data (JSON)").fill('{"status": {"nested": true}}')
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#filter-error")).to_contain_text('"status" must be a string, number')
    await expect(page.get_by_label("Filter on data (JSON)")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("All entities All types")).to_be_checked()  # kept for the correction
    await look(page, "registration-filter-refused")

    await page.get_by_label("Filter on data (JSON)").fill('{"status": "done"')
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#filter-error")).to_contain_text("Is not JSON")

    await page.get_by_label("Filter on data (JSON)").fill('{"status": ["done", "failed"]}')
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Registration created.")
    events = page.locator("section", has=page.get_by_role("heading", name="Events"))
    await expect(events.get_by_role("row", name="All entities (*) All types (*)")).to_contain_text(
        '{"status":["done","failed"]}'
    )
    await expect(events.get_by_role("row", name="Webhook Updated (2)")).to_be_visible()
    await look(page, "registration-wildcard-filter")

    [registration] = (await runtime.hookline.search_registrations("acme", RegistrationFilter(), 1, 5)).items
    assert {(e.entity_name, e.type, e.filter) for e in registration.enabled_events} == {
        ("*", None, '{"status":["done","failed"]}'),
        ("Webhook", WebhookEventType.UPDATED, '{"status":["done","failed"]}'),
    }
    for entity_id, status in (("1", "done"), ("2", "open"), ("3", "failed")):
        await runtime.hookline.publish(
            EventDraft("acme", "Tenant", WebhookEventType.DELETED, entity_id, data={"status": status})
        )
    assert await runtime.worker.deliver_due() == 2

    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Filter on data (JSON)")).to_have_value('{"status": ["done", "failed"]}')
    await expect(page.get_by_label("All entities All types")).to_be_checked()
    await look(page, "registration-edit-filter")
    await page.get_by_label("Filter on data (JSON)").fill("")
    await page.get_by_label("All entities All types").uncheck()
    await page.get_by_label("All entities Created").check()
    await page.get_by_label("Process All types").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    [changed] = (await runtime.hookline.search_registrations("acme", RegistrationFilter(), 1, 5)).items
    assert {(e.entity_name, e.type, e.filter) for e in changed.enabled_events} == {
        ("*", WebhookEventType.CREATED, None),
        ("Process", None, None),
        ("Webhook", WebhookEventType.UPDATED, None),
    }
    await expect(page.get_by_text("every event").first).to_be_visible()


async def test_the_edit_form_says_when_entries_have_different_filters(
    signed_in: httpx.AsyncClient, runtime: Runtime
) -> None:
    created, _ = await runtime.hookline.register(
        RegistrationDraft(
            organization_id="acme",
            target_url="http://127.0.0.1:9/hook",
            enabled_events=[
                EventChoice("Process", WebhookEventType.UPDATED, {"status": "done"}),
                EventChoice("Tenant", None),
            ],
        )
    )
    edit = await signed_in.get(f"/ui/registrations/{created.id}/edit")
    assert edit.status_code == 200
    assert "have different filters" in edit.text
    assert 'value="Process:2" checked' in edit.text and 'value="Tenant:*" checked' in edit.text

    async def save(**fields: Any) -> set[tuple[str, WebhookEventType | None, str | None]]:
        posted = {"csrf": csrf_of(edit.text), "targetUrl": created.target_url, "authorizationType": "none"}
        saved = await signed_in.post(f"/ui/registrations/{created.id}/edit", data=posted | fields)
        assert saved.status_code == 303, saved.text
        found = await runtime.hookline.get_registration(created.id, "acme")
        return {(e.entity_name, e.type, e.filter) for e in found.enabled_events}

    kept = await save(event=["Process:2", "Tenant:*"], description="only the description changed")
    assert kept == {("Process", WebhookEventType.UPDATED, '{"status":"done"}'), ("Tenant", None, None)}
    one_filter = await save(event=["Process:2", "Tenant:*"], filter='{"status": "open"}')
    assert one_filter == {
        ("Process", WebhookEventType.UPDATED, '{"status":"open"}'),
        ("Tenant", None, '{"status":"open"}'),
    }
