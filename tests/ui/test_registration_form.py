"""Registrations managed from the UI: create, edit, rotate the secret, delete; the same
validation as the API with each message next to its field; secrets only in the one-time reveal."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest
import trustme

from hookline.clock import FrozenClock
from hookline.domain.enums import AuthorizationType, Role, WebhookEventType, WebhookState
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationFilter
from tests.api.support import FrozenWebhook, verified_by
from tests.conftest import Receiver, Reply
from tests.ui.conftest import PASSWORD, USERNAME, Seeded, csrf_of, new_key, sign_in

SECRET = re.compile(r'<code id="signing-secret" class="secret">(whsec_[^<]+)</code>')
REVEALED_PUBLIC_KEY = re.compile(r'<code id="signing-secret" class="secret">(whpk_[^<]+)</code>')
PUBLIC_KEY = re.compile(r'<code id="signing-public-key" class="secret">(whpk_[^<]+)</code>')


def form(token: str, /, **fields: Any) -> dict[str, Any]:
    """A posted registration form (`token`: its CSRF token): `event` may be a list, like checked boxes."""
    return {"csrf": token, "authorizationType": "none", **fields}


async def registrations_of(runtime: Runtime, organization: str = "acme") -> list[Any]:
    return (await runtime.hookline.search_registrations(organization, RegistrationFilter(), 1, 50)).items


async def test_create_shows_the_secret_once_and_it_signs(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, clock: FrozenClock
) -> None:
    new = await signed_in.get("/ui/registrations/new")
    assert new.status_code == 200
    assert 'name="organizationId"' not in new.text  # a subscriber's own organization
    assert 'value="Process:1"' in new.text and "Process Created" in new.text
    assert "Process ReplaceRelation" in new.text
    token = csrf_of(new.text)

    created = await signed_in.post(
        "/ui/registrations/new",
        data=form(
            token,
            targetUrl=receiver.url("/new"),
            description="from the form",
            event=["Process:1", "Process:2", "Unit:4"],
            shouldGroup="on",
            coalesceUpdates="on",
            expiresAt="2030-01-31T18:00",
        ),
    )
    assert created.status_code == 303, created.text
    [registration] = await registrations_of(runtime)
    assert created.headers["location"] == f"/ui/registrations/{registration.id}"
    assert {(e.entity_name, e.type) for e in registration.enabled_events} == {
        ("Process", WebhookEventType.CREATED),
        ("Process", WebhookEventType.UPDATED),
        ("Unit", WebhookEventType.REPLACE_RELATION),
    }
    assert registration.should_group and registration.coalesce_updates
    assert not registration.should_group_continue_after_fail
    assert registration.description == "from the form"
    assert registration.expires_at is not None and registration.expires_at.year == 2030

    shown = (await signed_in.get(created.headers["location"])).text
    found = SECRET.search(shown)
    assert found, "the signing secret is shown once"
    assert "Copy secret" in shown and "Registration created." in shown
    secret = found.group(1)
    assert "whsec_" not in (await signed_in.get(created.headers["location"])).text  # only once

    published = await runtime.hookline.publish(EventDraft("acme", "Process", WebhookEventType.CREATED, "1"))
    assert await runtime.worker.deliver_due() == 1
    [sent] = receiver.requests
    FrozenWebhook(secret, clock).verify(sent.body, sent.headers)
    assert sent.headers["webhook-id"] == published.webhook_ids[0]


async def test_an_ed25519_registration_shows_its_public_key_which_verifies_what_it_sends(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    new = await signed_in.get("/ui/registrations/new")
    assert (
        "Signature scheme" in new.text and '<option value="v1" selected>HMAC-SHA256 (v1)</option>' in new.text
    )
    created = await signed_in.post(
        "/ui/registrations/new",
        data=form(
            csrf_of(new.text), targetUrl=receiver.url("/v1a"), event="Process:1", signatureScheme="v1a"
        ),
    )
    assert created.status_code == 303, created.text
    [registration] = await registrations_of(runtime)
    assert registration.signature_scheme == "v1a"
    shown = (await signed_in.get(created.headers["location"])).text
    revealed = REVEALED_PUBLIC_KEY.search(shown)
    assert revealed and revealed.group(1) == registration.signing_public_key
    assert "Its new public key:" in shown and "Copy public key" in shown
    assert "Ed25519 (v1a)" in shown and "whsec_" not in shown and "whsk_" not in shown
    again = (await signed_in.get(created.headers["location"])).text  # the reveal once, the key always
    assert not REVEALED_PUBLIC_KEY.search(again)
    listed = PUBLIC_KEY.search(again)
    assert listed and listed.group(1) == registration.signing_public_key

    rotated = await signed_in.post(
        f"{created.headers['location']}/rotate-secret", data={"csrf": csrf_of(again)}
    )
    assert rotated.status_code == 303
    shown = (await signed_in.get(created.headers["location"])).text
    revealed = REVEALED_PUBLIC_KEY.search(shown)
    assert revealed and revealed.group(1) != registration.signing_public_key
    listed = PUBLIC_KEY.search(shown)
    assert "Signing key rotated" in shown and listed and listed.group(1) == revealed.group(1)

    await runtime.hookline.publish(EventDraft("acme", "Process", WebhookEventType.CREATED, "1"))
    assert await runtime.worker.deliver_due() == 1
    [sent] = receiver.requests
    assert verified_by(revealed.group(1), sent) == [0]
    assert verified_by(registration.signing_public_key or "", sent) == [1]  # the old key, for 24 h


async def test_an_unknown_signature_scheme_is_refused_next_to_its_field(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    token = csrf_of((await signed_in.get("/ui/registrations/new")).text)
    refused = await signed_in.post(
        "/ui/registrations/new",
        data=form(token, targetUrl=receiver.url(), event="Process:1", signatureScheme="v2"),
    )
    assert refused.status_code == 422
    assert 'id="signatureScheme-error">Choose HMAC-SHA256 (v1) or Ed25519 (v1a).</p>' in refused.text
    assert await registrations_of(runtime) == []


async def test_an_invalid_form_keeps_what_was_typed_and_says_why_next_to_each_field(
    signed_in: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = csrf_of((await signed_in.get("/ui/registrations/new")).text)
    answer = await signed_in.post(
        "/ui/registrations/new",
        data=form(
            token,
            targetUrl="ftp://files.example/drop",
            description="d" * 1001,
            authorizationType="basic",
            username="someone",
            password="typed-secret-value",
            expiresAt="tomorrow",
        ),
    )
    assert answer.status_code == 422
    html = answer.text
    assert 'id="description-error">Must be at most 1000 characters.' in html
    assert 'id="events-error">Choose at least one event.' in html
    assert 'id="expiresAt-error">Enter a date and time such as 2027-01-31T18:00 (UTC).' in html
    assert 'value="ftp://files.example/drop"' in html  # kept for correcting
    assert "typed-secret-value" not in html  # a password is never sent back
    assert await registrations_of(runtime) == []

    answer = await signed_in.post(
        "/ui/registrations/new",
        data=form(token, targetUrl="ftp://files.example/drop", event="Process:1", authorizationType="basic"),
    )
    assert answer.status_code == 422
    assert 'id="targetUrl-error">Must be an absolute http:// or https:// URL.' in answer.text
    assert 'id="username-error">Is required for Basic authorization.' in answer.text
    assert 'id="password-error">Is required for Basic authorization.' in answer.text
    assert 'aria-describedby="targetUrl-hint targetUrl-error" aria-invalid="true"' in answer.text
    assert await registrations_of(runtime) == []


async def test_an_admin_names_the_organization(
    api: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.ADMIN))
    new = await api.get("/ui/registrations/new")
    assert 'name="organizationId"' in new.text
    token = csrf_of(new.text)
    missing = await api.post(
        "/ui/registrations/new", data=form(token, targetUrl=receiver.url(), event="Tenant:1")
    )
    assert missing.status_code == 422
    assert 'id="organizationId-error">Admin keys name the organization' in missing.text
    done = await api.post(
        "/ui/registrations/new",
        data=form(token, targetUrl=receiver.url(), event="Tenant:1", organizationId="globex"),
    )
    assert done.status_code == 303
    assert len(await registrations_of(runtime, "globex")) == 1


async def test_a_duplicate_links_to_the_existing_one(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver
) -> None:
    token = csrf_of((await signed_in.get("/ui/registrations/new")).text)
    answer = await signed_in.post(
        "/ui/registrations/new",
        data=form(
            token,
            targetUrl=receiver.url("/acme"),
            event=["Process:2", "Tenant:1"],
            authorizationType="basic",
            username=USERNAME,
            password=PASSWORD,
        ),
    )
    assert answer.status_code == 409
    assert "Not created: an identical active registration exists." in answer.text
    assert f'href="/ui/registrations/{seeded.registration_id}"' in answer.text
    assert PASSWORD not in answer.text


async def test_verify_on_create_refuses_a_target_that_does_not_answer_2xx(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    receiver.default = Reply(404, "no such hook")
    token = csrf_of((await signed_in.get("/ui/registrations/new")).text)
    answer = await signed_in.post(
        "/ui/registrations/new", data=form(token, targetUrl=receiver.url("/x"), event="Unit:1", verify="on")
    )
    assert answer.status_code == 422
    assert 'id="targetUrl-error">Did not answer the test webhook with 2xx: HTTP 404.' in answer.text
    assert len(receiver.requests) == 1
    assert await registrations_of(runtime) == []


async def test_edit_is_prefilled_and_an_empty_password_keeps_the_stored_one(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    edit = await signed_in.get(f"{page}/edit")
    assert edit.status_code == 200
    html = edit.text
    assert re.search(r'value="Process:2" checked', html) and re.search(r'value="Tenant:1" checked', html)
    assert not re.search(r'value="Process:1" checked', html)
    assert f'value="{USERNAME}"' in html and PASSWORD not in html
    assert "Leave empty to keep the current password" in html

    saved = await signed_in.post(
        f"{page}/edit",
        data=form(
            csrf_of(html),
            targetUrl=receiver.url("/moved"),
            description="",
            event=["Process:2", "Unit:1"],
            authorizationType="basic",
            username=USERNAME,
            password="",
            shouldGroup="on",
        ),
    )
    assert saved.status_code == 303
    assert "Saved." in (await signed_in.get(saved.headers["location"])).text
    changed = await runtime.hookline.get_registration(seeded.registration_id, None)
    assert changed.target_url == receiver.url("/moved") and changed.description is None
    assert {(e.entity_name, e.type) for e in changed.enabled_events} == {
        ("Process", WebhookEventType.UPDATED),
        ("Unit", WebhookEventType.CREATED),
    }
    assert changed.should_group and changed.authorization_type is AuthorizationType.BASIC

    before = len(receiver.requests)
    await runtime.hookline.publish(EventDraft("acme", "Unit", WebhookEventType.CREATED, "5"))
    assert await runtime.worker.deliver_due() == 1
    sent = receiver.requests[before]
    assert sent.path == "/moved"
    assert (
        sent.headers["Authorization"]
        == "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    )


async def test_rotate_secret_shows_the_new_one_once_and_the_next_delivery_verifies_with_it(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver, clock: FrozenClock
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    rotated = await signed_in.post(
        f"{page}/rotate-secret", data={"csrf": csrf_of((await signed_in.get(page)).text)}
    )
    assert rotated.status_code == 303
    shown = (await signed_in.get(page)).text
    found = SECRET.search(shown)
    assert found and found.group(1) != seeded.signing_secret
    assert "Signing secret rotated" in shown
    assert "whsec_" not in (await signed_in.get(page)).text

    before = len(receiver.requests)
    await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "11"))
    assert await runtime.worker.deliver_due() == 1
    sent = receiver.requests[before]
    FrozenWebhook(found.group(1), clock).verify(sent.body, sent.headers)


async def test_delete_asks_first(signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    token = csrf_of((await signed_in.get(page)).text)
    asked = await signed_in.post(f"{page}/delete", data={"csrf": token})
    assert asked.status_code == 200
    assert "Delete this registration?" in asked.text and 'name="confirmed" value="yes"' in asked.text
    assert len(await registrations_of(runtime)) == 1
    waiting = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "12"))

    done = await signed_in.post(f"{page}/delete", data={"csrf": token, "confirmed": "yes"})
    assert done.status_code == 303
    assert (
        "Deleted: its unfinished webhooks were aborted."
        in (await signed_in.get(done.headers["location"])).text
    )
    assert await registrations_of(runtime) == []
    assert (await signed_in.get(page)).status_code == 404
    assert (await runtime.hookline.get_webhook(waiting.webhook_ids[0], None)).state is WebhookState.ABORTED
    assert (await runtime.hookline.get_webhook(seeded.failed_id, None)).state is WebhookState.FAILED


@pytest.mark.parametrize("action", ["new", "edit", "rotate-secret", "delete"])
async def test_every_registration_form_is_csrf_checked(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver, action: str
) -> None:
    path = (
        "/ui/registrations/new" if action == "new" else f"/ui/registrations/{seeded.registration_id}/{action}"
    )
    fields = form("forged", targetUrl=receiver.url("/csrf"), event="Unit:1", confirmed="yes")
    assert (await signed_in.post(path, data=fields)).status_code == 403
    [only] = await registrations_of(runtime)
    assert only.target_url == receiver.url("/acme")


async def test_a_bearer_token_is_set_kept_on_edit_and_never_shown(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    bearer_token = "ui-bearer-token-8e2d41"
    new = await signed_in.get("/ui/registrations/new")
    fields = {"targetUrl": receiver.url("/bearer"), "event": ["Process:2"], "authorizationType": "bearer"}
    refused = await signed_in.post("/ui/registrations/new", data=form(csrf_of(new.text), **fields))
    assert refused.status_code == 422 and "Is required for Bearer authorization" in refused.text
    created = await signed_in.post(
        "/ui/registrations/new", data=form(csrf_of(new.text), **fields, token=bearer_token)
    )
    assert created.status_code == 303, created.text
    page = created.headers["location"]
    edit = await signed_in.get(f"{page}/edit")
    assert '<option value="bearer" selected' in edit.text and "keep the current token" in edit.text
    saved = await signed_in.post(
        f"{page}/edit", data=form(csrf_of(edit.text), **fields, description="kept", token="")
    )
    assert saved.status_code == 303, saved.text
    for shown in (await signed_in.get(page), await signed_in.get(f"{page}/edit"), created, saved, edit):
        assert bearer_token not in shown.text

    await runtime.hookline.publish(EventDraft("acme", "Process", WebhookEventType.UPDATED, "1"))
    assert await runtime.worker.deliver_due() == 1
    assert receiver.requests[-1].headers["Authorization"] == f"Bearer {bearer_token}"


async def test_custom_headers_are_set_kept_by_name_removed_by_line_and_never_shown(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    team, tenant = "team-value-5c1f0a", "tenant-value-93b7e2"
    new = await signed_in.get("/ui/registrations/new")
    assert 'id="headers"' in new.text and "Custom headers" in new.text
    fields = {"targetUrl": receiver.url("/custom"), "event": ["Process:2"]}
    refused = await signed_in.post(
        "/ui/registrations/new",
        data=form(csrf_of(new.text), **fields, headers=f"X-Team: {team}\nContent-Type: text/plain"),
    )
    assert refused.status_code == 422
    assert 'id="headers-error"' in refused.text and "Content-Type is set by hookline itself" in refused.text
    assert team not in refused.text, "a value typed is not shown again, like a password"
    assert "X-Team:" in refused.text, "the names typed are kept"
    for bad, message in (
        ("just-a-name", "Line 1: write each header as Name: value."),
        ("X-Team:", "X-Team has no value"),
    ):
        answer = await signed_in.post(
            "/ui/registrations/new", data=form(csrf_of(new.text), **fields, headers=bad)
        )
        assert answer.status_code == 422 and message in answer.text

    created = await signed_in.post(
        "/ui/registrations/new",
        data=form(csrf_of(new.text), **fields, headers=f"X-Team: {team}\r\n\r\nX-Tenant:{tenant}\n"),
    )
    assert created.status_code == 303, created.text
    page = created.headers["location"]
    shown = await signed_in.get(page)
    assert "X-Team: •••" in shown.text and "X-Tenant: •••" in shown.text
    edit = await signed_in.get(f"{page}/edit")
    assert ">X-Team:\nX-Tenant:\n</textarea>" in edit.text, "the edit form names the headers, no values"
    for answer in (shown, edit, created):
        assert team not in answer.text and tenant not in answer.text

    await runtime.hookline.publish(EventDraft("acme", "Process", WebhookEventType.UPDATED, "1"))
    assert await runtime.worker.deliver_due() == 1
    sent = receiver.requests[-1].headers
    assert (sent["X-Team"], sent["X-Tenant"]) == (team, tenant)

    # a name without a value keeps the stored value; a line removed removes that header
    saved = await signed_in.post(f"{page}/edit", data=form(csrf_of(edit.text), **fields, headers="X-Team:"))
    assert saved.status_code == 303, saved.text
    await runtime.hookline.publish(EventDraft("acme", "Process", WebhookEventType.UPDATED, "2"))
    assert await runtime.worker.deliver_due() == 1
    sent = receiver.requests[-1].headers
    assert sent["X-Team"] == team and "X-Tenant" not in sent
    [registration] = await registrations_of(runtime)
    assert registration.custom_header_names == ("X-Team",)


async def test_search_by_url_part_or_description(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    async def found(query: str) -> bool:
        answer = await signed_in.get(f"/ui/registrations?q={query}")
        assert answer.status_code == 200
        return f"/ui/registrations/{seeded.registration_id}" in answer.text

    assert await found("127.0.0.1")
    assert await found("ACME%27S%20RECEIVER")  # the description, any case
    assert not await found("nowhere")


async def test_the_retry_schedule_and_start_paused_take_the_api_s_rules(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    token = csrf_of((await signed_in.get("/ui/registrations/new")).text)
    refused = await signed_in.post(
        "/ui/registrations/new",
        data=form(token, targetUrl=receiver.url("/r"), event="Process:1", retrySchedule="10s, 500ms"),
    )
    assert refused.status_code == 422
    assert 'id="retrySchedule-error">Delay 2 (500ms): must be between 1s and 7d.' in refused.text
    assert 'value="10s, 500ms"' in refused.text
    too_many = await signed_in.post(
        "/ui/registrations/new",
        data=form(
            token, targetUrl=receiver.url("/r"), event="Process:1", retrySchedule=", ".join(["1m"] * 21)
        ),
    )
    assert 'id="retrySchedule-error">Must have at most 20 delays (21 attempts).' in too_many.text
    assert await registrations_of(runtime) == []

    created = await signed_in.post(
        "/ui/registrations/new",
        data=form(
            token, targetUrl=receiver.url("/r"), event="Process:1", retrySchedule="10s, 1m 1h", isPaused="on"
        ),
    )
    assert created.status_code == 303, created.text
    [registration] = await registrations_of(runtime)
    assert registration.retry_schedule == ("10s", "1m", "1h") and registration.is_paused
    page = (await signed_in.get(created.headers["location"])).text
    assert '<span class="mono">10s, 1m, 1h</span>' in page and "Paused since" in page

    edit_page = f"/ui/registrations/{registration.id}/edit"
    edit = (await signed_in.get(edit_page)).text
    assert 'value="10s, 1m, 1h"' in edit and 'name="isPaused"' not in edit  # pausing is its own button
    for typed, stored, shown in (
        ("none", (), "no retries: a single attempt"),
        ("", None, "the service's default"),
    ):
        saved = await signed_in.post(
            edit_page,
            data=form(csrf_of(edit), targetUrl=receiver.url("/r"), event="Process:1", retrySchedule=typed),
        )
        assert saved.status_code == 303
        changed = await runtime.hookline.get_registration(registration.id, None)
        assert changed.retry_schedule == stored and changed.is_paused  # an edit keeps it paused
        assert shown in (await signed_in.get(saved.headers["location"])).text


async def test_oauth2_and_a_client_certificate_are_set_kept_on_edit_and_never_shown(
    signed_in: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    client_secret = "ui-client-secret-5c1e07"
    leaf = trustme.CA().issue_cert("hookline.example", common_name="ui-client")
    private_key = leaf.private_key_pem.bytes().decode()
    fields = {
        "targetUrl": "https://localhost:9/mtls",
        "event": ["Process:2"],
        "authorizationType": "oauth2",
        "tokenUrl": receiver.url("/token"),
        "clientId": "ui-client",
        "scope": "hooks",
    }
    new = await signed_in.get("/ui/registrations/new")
    assert '<option value="oauth2"' in new.text
    refused = await signed_in.post(
        "/ui/registrations/new", data=form(csrf_of(new.text), **fields, privateKey=private_key)
    )
    assert refused.status_code == 422
    assert "Paste the certificate that goes with the private key." in refused.text
    assert private_key not in refused.text
    refused = await signed_in.post("/ui/registrations/new", data=form(csrf_of(new.text), **fields))
    assert refused.status_code == 422
    assert 'id="clientSecret-error">Is required for OAuth2 authorization.' in refused.text
    created = await signed_in.post(
        "/ui/registrations/new",
        data=form(
            csrf_of(new.text),
            **fields,
            clientSecret=client_secret,
            certificate=leaf.cert_chain_pems[0].bytes().decode(),
            privateKey=private_key,
        ),
    )
    assert created.status_code == 303, created.text
    page = created.headers["location"]
    shown = await signed_in.get(page)
    assert "OAuth2 client credentials" in shown.text and receiver.url("/token") in shown.text
    assert "CN=ui-client" in shown.text
    edit = await signed_in.get(f"{page}/edit")
    assert '<option value="oauth2" selected' in edit.text and "keep the current secret" in edit.text
    saved = await signed_in.post(f"{page}/edit", data=form(csrf_of(edit.text), **fields, description="kept"))
    assert saved.status_code == 303, saved.text
    [registration] = await registrations_of(runtime)
    assert registration.oauth2.scope == "hooks" and registration.client_certificate is not None
    key_line = max(private_key.splitlines(), key=len)
    for answer in (shown, edit, saved, await signed_in.get(page), await signed_in.get(f"{page}/edit")):
        assert client_secret not in answer.text and key_line not in answer.text

    removed = await signed_in.post(
        f"{page}/edit", data=form(csrf_of(edit.text), **fields, removeClientCertificate="on")
    )
    assert removed.status_code == 303, removed.text
    [registration] = await registrations_of(runtime)
    assert registration.client_certificate is None and registration.oauth2 is not None
