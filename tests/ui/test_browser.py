"""The overview in a real Chromium, over real HTTP: sign in, look, retry, resolve."""

from __future__ import annotations

import re

import pytest
import trustme
from playwright.async_api import Page, expect

from hookline.domain.enums import Role, WebhookEventType
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationFilter
from tests.api.support import verified_by
from tests.conftest import Receiver
from tests.ui.browser import Looker
from tests.ui.conftest import Seeded, new_key

pytestmark = pytest.mark.browser


async def sign_in(page: Page, look: Looker, base: str, key: str) -> None:
    await page.goto(f"{base}/ui")
    await expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Fui$"))
    await look(page, "sign-in")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{base}/ui")


async def test_sign_in_see_counts_retry_and_resolve(
    page: Page, look: Looker, live_url: str, runtime: Runtime, seeded: Seeded
) -> None:
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))

    await expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    await expect(page.locator('[data-state="Failed"] .count-value')).to_have_text("1")
    await expect(page.locator('[data-state="Successful"] .count-value')).to_have_text("1")
    await expect(page.locator('[data-state="Retrying"] .count-value')).to_have_text("0")
    await look(page, "overview")

    await page.locator('[data-state="Failed"]').click()  # the counter opens the filtered list
    await expect(page).to_have_url(re.compile(r"/ui/webhooks\?state=Failed"))
    await look(page, "webhooks-failed")
    await page.get_by_role("link", name=seeded.failed_id).click()
    await expect(page.locator("#webhook-state")).to_have_text("Failed")
    await expect(page.locator("ol.attempts > li")).to_have_count(7)
    await look(page, "webhook-failed")

    await page.get_by_role("button", name="Retry").click()
    await expect(page.get_by_role("status")).to_contain_text("Retry requested")
    await expect(page.locator("#webhook-state")).to_have_text("Retrying")

    assert await runtime.worker.deliver_due() == 1
    await page.reload()
    await expect(page.locator("#webhook-state")).to_have_text("Successful")
    await expect(page.locator("ol.attempts > li")).to_have_count(8)

    await expect(page.get_by_role("button", name="Retry")).to_be_visible()
    for refused in ("Resolve", "Abort"):  # a Successful webhook can only be sent again
        await expect(page.get_by_role("button", name=refused)).to_have_count(0)
    await look(page, "webhook-successful")


async def test_a_test_webhook_answer_is_shown_once_and_never_resent(
    page: Page, look: Looker, live_url: str, runtime: Runtime, seeded: Seeded, receiver: Receiver
) -> None:
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    await look(page, "overview")
    await page.goto(f"{live_url}/ui/registrations/{seeded.registration_id}")
    before = len(receiver.requests)
    await page.get_by_role("button", name="Send test webhook").click()
    await expect(page.get_by_role("status")).to_contain_text("Test webhook answered 200 in")
    await expect(page.locator("pre.code")).to_have_text("thanks")
    await look(page, "registration-tested")
    await page.reload()
    await expect(page.get_by_text("Test webhook answered")).to_have_count(0)
    assert len(receiver.requests) == before + 1


async def test_sign_out_and_a_wrong_key(page: Page, look: Looker, live_url: str, runtime: Runtime) -> None:
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    cookie = next(c for c in await page.context.cookies() if c["name"] == "hookline_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert await page.evaluate("document.cookie") == ""  # not readable by scripts
    await look(page, "overview-empty")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    await page.get_by_label("API key").fill("hl_wrong")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("This API key is unknown or revoked.")
    await look(page, "sign-in-refused")
    await page.goto(f"{live_url}/")
    await expect(page).to_have_url(re.compile(r"/ui/login"))


async def test_api_docs_render_from_local_assets(page: Page, live_url: str) -> None:
    """This machine cannot reach a CDN: the operations appear only if /docs is self-contained."""
    await page.goto(f"{live_url}/docs")
    await expect(page.locator(".opblock-summary-path", has_text="/api/events/batch")).to_be_visible()
    assert await page.locator(".opblock").count() >= 20


async def test_create_edit_rotate_and_delete_a_registration(
    page: Page, look: Looker, live_url: str, runtime: Runtime, receiver: Receiver
) -> None:
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    await look(page, "overview-empty")
    await page.get_by_role("link", name="Registrations", exact=True).click()
    await look(page, "registrations-empty")
    await page.get_by_role("link", name="New registration").click()
    await look(page, "registration-new")
    await page.get_by_label("Target URL").fill("ftp://not-a-web-target")
    await page.get_by_label("Process Created").check()
    await page.get_by_label("Process ReplaceRelation").check()
    await page.get_by_label("Retry schedule").fill("10s, 8d")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#targetUrl-error")).to_have_text(
        "Must be an absolute http:// or https:// URL."
    )
    await expect(page.locator("#retrySchedule-error")).to_have_text(
        "Delay 2 (8d): must be between 1s and 7d."
    )
    await expect(page.get_by_label("Process Created")).to_be_checked()  # kept for the correction
    await look(page, "registration-new-refused")

    await page.get_by_label("Target URL").fill(receiver.url("/browser"))
    await page.get_by_label("Description").fill("made in a browser")
    await page.get_by_label("Retry schedule").fill("10s, 1m, 1h")
    await page.get_by_label("Start paused").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Registration created.")
    await expect(page.get_by_text("10s, 1m, 1h")).to_be_visible()
    await expect(page.get_by_text("Paused since")).to_be_visible()
    secret = (await page.locator("#signing-secret").text_content() or "").strip()
    assert secret.startswith("whsec_")
    await page.get_by_role("button", name="Copy secret").click()
    await expect(page.locator(".copied")).not_to_be_empty()
    await look(page, "registration-created")

    await page.get_by_role("link", name="Edit").click()
    await look(page, "registration-edit")
    await page.get_by_label("Process Created").uncheck()
    await page.get_by_label("Unit Deleted").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    [registration] = (await runtime.hookline.search_registrations("acme", RegistrationFilter(), 1, 5)).items
    assert {(e.entity_name, e.type.label) for e in registration.enabled_events} == {
        ("Process", "ReplaceRelation"),
        ("Unit", "Deleted"),
    }

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Rotate secret").click()
    await expect(page.get_by_role("status")).to_contain_text("Signing secret rotated")
    rotated = (await page.locator("#signing-secret").text_content() or "").strip()
    assert rotated.startswith("whsec_") and rotated != secret
    await page.reload()
    await expect(page.locator("#signing-secret")).to_have_count(0)

    await page.get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("heading", name="Delete this registration?")).to_be_visible()
    await look(page, "registration-delete")
    await page.get_by_role("button", name="Delete").click()
    await expect(page.get_by_role("status")).to_contain_text("Deleted")
    assert (await runtime.hookline.search_registrations("acme", RegistrationFilter(), 1, 5)).total_count == 0


async def test_an_oauth2_registration_with_a_client_certificate(
    page: Page, look: Looker, live_url: str, runtime: Runtime, receiver: Receiver
) -> None:
    leaf = trustme.CA().issue_cert("hookline.example", common_name="browser-client")
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    await look(page, "overview-before-oauth2")
    await page.goto(f"{live_url}/ui/registrations/new")
    await page.get_by_label("Target URL").fill("https://localhost:9/mtls")
    await page.get_by_label("Process Updated").check()
    await page.get_by_label("Authorization", exact=True).select_option("oauth2")
    await page.get_by_label("Token URL").fill(receiver.url("/token"))
    await page.get_by_label("Client ID").fill("browser-client")
    await page.get_by_label("Client secret").fill("browser-client-secret")
    await page.get_by_label("Client certificate (PEM)").fill(leaf.cert_chain_pems[0].bytes().decode())
    await page.get_by_label("Private key (PEM)").fill("not a key")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#privateKey-error")).to_have_text(
        "Must be a private key in PEM (BEGIN PRIVATE KEY)."
    )
    await expect(page.get_by_label("Private key (PEM)")).to_be_empty()  # write-only, even when refused
    await look(page, "registration-oauth2-refused")

    await page.get_by_label("Client secret").fill("browser-client-secret")
    await page.get_by_label("Client certificate (PEM)").fill(leaf.cert_chain_pems[0].bytes().decode())
    await page.get_by_label("Private key (PEM)").fill(leaf.private_key_pem.bytes().decode())
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Registration created.")
    await expect(page.get_by_text("OAuth2 client credentials · client id browser-client")).to_be_visible()
    await expect(page.get_by_text("CN=browser-client", exact=False).first).to_be_visible()
    await look(page, "registration-oauth2")

    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("Token URL")).to_have_value(receiver.url("/token"))
    await expect(page.get_by_label("Client secret")).to_be_empty()
    await expect(page.get_by_label("Remove the client certificate")).not_to_be_checked()
    await look(page, "registration-oauth2-edit")


async def test_an_ed25519_registration_shows_and_rotates_its_public_key(
    page: Page, look: Looker, live_url: str, runtime: Runtime, receiver: Receiver
) -> None:
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    await look(page, "overview-empty")
    await page.goto(f"{live_url}/ui/registrations/new")
    await expect(page.get_by_label("Signature scheme")).to_have_value("v1")  # HMAC unless chosen
    await page.get_by_label("Target URL").fill(receiver.url("/ed25519"))
    await page.get_by_label("Process Created").check()
    await page.get_by_label("Signature scheme").select_option(label="Ed25519 (v1a)")
    await look(page, "registration-new-ed25519")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Registration created. Its new public key:")
    await expect(page.get_by_text("Ed25519 (v1a)")).to_be_visible()
    first = (await page.locator("#signing-public-key").text_content() or "").strip()
    assert first.startswith("whpk_")
    await expect(page.locator("#signing-secret")).to_have_text(first)
    await page.get_by_role("button", name="Copy the public key").click()
    await expect(page.locator(".copied").last).not_to_be_empty()
    await look(page, "registration-created-ed25519")

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Rotate secret").click()
    await expect(page.get_by_role("status")).to_contain_text("Signing key rotated")
    rotated = (await page.locator("#signing-secret").text_content() or "").strip()
    assert rotated.startswith("whpk_") and rotated != first
    await expect(page.locator("#signing-public-key")).to_have_text(rotated)
    await look(page, "registration-rotated-ed25519")
    await page.reload()
    await expect(page.locator("#signing-secret")).to_have_count(0)
    await expect(page.locator("#signing-public-key")).to_have_text(rotated)  # shown on every visit

    await runtime.hookline.publish(EventDraft("acme", "Process", WebhookEventType.CREATED, "1"))
    assert await runtime.worker.deliver_due() == 1
    [sent] = receiver.requests
    assert verified_by(rotated, sent) == [0] and verified_by(first, sent) == [1]
