"""The overview pages over HTTP (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from hookline.api.app import create_app
from hookline.clock import FrozenClock
from hookline.domain.enums import AuthorizationType, Role, WebhookEventType, WebhookState
from hookline.domain.subscriptions import EventChoice
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationDraft, TargetAuthorization
from tests.conftest import Receiver, Reply
from tests.ui.conftest import EVIL_BODY, PASSWORD, USERNAME, Seeded, csrf_of, new_key, seed, sign_in


def pages_of(seeded: Seeded) -> list[str]:
    return [
        "/ui",
        "/ui/registrations",
        "/ui/registrations/new",
        f"/ui/registrations/{seeded.registration_id}",
        f"/ui/registrations/{seeded.registration_id}/edit",
        "/ui/webhooks",
        f"/ui/webhooks?registrationId={seeded.registration_id}",
        f"/ui/webhooks/{seeded.failed_id}",
        f"/ui/webhooks/{seeded.successful_id}",
    ]


async def state_of(runtime: Runtime, webhook_id: str) -> WebhookState:
    return (await runtime.hookline.get_webhook(webhook_id, None)).state


# Signing in and out ----------------------------------------------------------------------------


async def test_root_redirects_to_the_ui(api: httpx.AsyncClient) -> None:
    answer = await api.get("/")
    assert answer.status_code == 307
    assert answer.headers["location"] == "/ui"


@pytest.mark.parametrize("path", ["/ui", "/ui/registrations", "/ui/webhooks", "/ui/webhooks/wh_x?a=1"])
async def test_signed_out_pages_redirect_to_the_sign_in_form(api: httpx.AsyncClient, path: str) -> None:
    answer = await api.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/login?next=")
    form = await api.get(answer.headers["location"])
    assert form.status_code == 200
    assert 'name="key"' in form.text
    assert 'type="password"' in form.text


async def test_signed_out_action_redirects_and_changes_nothing(
    api: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    answer = await api.post(f"/ui/webhooks/{seeded.failed_id}/abort", data={"csrf": "x"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/login")
    assert await state_of(runtime, seeded.failed_id) is WebhookState.FAILED


async def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(
    api: httpx.AsyncClient, runtime: Runtime
) -> None:
    key = await new_key(runtime, "acme", Role.SUBSCRIBER)
    answer = await api.post("/ui/login", data={"key": key, "next": "/ui/webhooks?state=Failed"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/webhooks?state=Failed"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/ui" in cookie
    assert "secure" not in cookie  # plain http here; see the https test
    overview = await api.get("/ui")
    assert overview.status_code == 200
    assert "subscriber" in overview.text
    assert "acme" in overview.text

    out = await api.post("/ui/logout", data={"csrf": csrf_of(overview.text)})
    assert out.status_code == 303
    assert out.headers["location"] == "/ui/login?signedOut=1"
    assert "max-age=0" in out.headers["set-cookie"].lower()
    assert (await api.get("/ui")).status_code == 303
    assert "You are signed out." in (await api.get("/ui/login?signedOut=1")).text


async def test_signing_out_is_a_csrf_checked_form(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.SUBSCRIBER))
    asked = await api.get("/ui/logout")  # a link (or another site's image) only asks
    assert asked.status_code == 200 and "Sign out now" in asked.text
    assert (await api.get("/ui")).status_code == 200
    assert (await api.post("/ui/logout", data={"csrf": "forged"})).status_code == 403
    assert (await api.get("/ui")).status_code == 200
    assert (await api.post("/ui/logout", data={"csrf": csrf_of(asked.text)})).status_code == 303
    assert (await api.get("/ui")).status_code == 303


async def test_cookie_is_secure_over_https(runtime: Runtime) -> None:
    key = await new_key(runtime, "acme", Role.SUBSCRIBER)
    transport = httpx.ASGITransport(app=create_app(runtime, run_worker=False))
    async with httpx.AsyncClient(transport=transport, base_url="https://hookline.test") as client:
        answer = await client.post("/ui/login", data={"key": key})
        assert answer.status_code == 303
        assert "; secure" in answer.headers["set-cookie"].lower()
        assert (await client.get("/ui")).status_code == 200


async def test_an_unknown_key_is_refused(api: httpx.AsyncClient) -> None:
    answer = await api.post("/ui/login", data={"key": "hl_not_a_real_key"})
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text
    assert "set-cookie" not in answer.headers
    assert (await api.get("/ui")).status_code == 303


async def test_an_empty_key_is_refused(api: httpx.AsyncClient) -> None:
    answer = await api.post("/ui/login", data={"key": "  "})
    assert answer.status_code == 422
    assert "Enter an API key." in answer.text


async def test_a_forged_cookie_is_refused(api: httpx.AsyncClient) -> None:
    api.cookies.set("hookline_session", "nonce.hl_forged", domain="hookline.test", path="/ui")
    assert (await api.get("/ui")).status_code == 303


async def test_a_revoked_key_signs_the_browser_out(
    api: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    record, key = await runtime.hookline.create_api_key("acme", Role.SUBSCRIBER, "soon revoked")
    await sign_in(api, key)
    assert (await api.get("/ui")).status_code == 200
    assert (await api.delete(f"/api/api-keys/{record.id}", headers=admin)).status_code == 204
    answer = await api.get("/ui")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ui/login")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/ui", "/ui\\@evil.example", "/api/x"]
)
async def test_sign_in_only_redirects_within_the_ui(
    api: httpx.AsyncClient, runtime: Runtime, target: str
) -> None:
    key = await new_key(runtime, "acme", Role.SUBSCRIBER)
    answer = await api.post("/ui/login", data={"key": key, "next": target})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui"


async def test_sign_in_from_another_site_is_refused(api: httpx.AsyncClient, runtime: Runtime) -> None:
    key = await new_key(runtime, "acme", Role.SUBSCRIBER)
    answer = await api.post("/ui/login", data={"key": key}, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


async def test_signed_in_visit_to_the_form_goes_to_the_overview(signed_in: httpx.AsyncClient) -> None:
    answer = await signed_in.get("/ui/login")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui"


async def test_a_publisher_key_only_gets_an_explanation(
    api: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.PUBLISHER))
    for path in [*pages_of(seeded)]:
        answer = await api.get(path)
        assert answer.status_code == 403, path
        assert "This is a publisher key" in answer.text
        assert seeded.failed_id not in answer.text
        assert seeded.registration_id not in answer.text
    csrf_free = await api.post(f"/ui/webhooks/{seeded.failed_id}/resolve", data={"csrf": "x"})
    assert csrf_free.status_code == 403
    assert await state_of(runtime, seeded.failed_id) is WebhookState.FAILED


# Pages -------------------------------------------------------------------------------------------


async def test_overview_counts_webhooks_per_state_and_lists_registrations(
    signed_in: httpx.AsyncClient, seeded: Seeded
) -> None:
    page = await signed_in.get("/ui")
    assert page.status_code == 200
    html = page.text
    for label in ("Created", "Retrying", "Successful", "Failed", "Aborted", "Pending", "Resolved"):
        assert f'data-state="{label}"' in html
    assert 'class="count state-failed"' in html
    assert "2 in all" in html
    assert seeded.failed_id in html and seeded.successful_id in html
    assert "1 active · 0 inactive" in html
    assert "/acme" in html  # the target URL
    assert 'href="/docs"' in html


def count_in(html: str, label: str) -> str:
    start = html.index(f'data-state="{label}"')
    value = html.index('class="count-value">', start) + len('class="count-value">')
    return html[value : html.index("<", value)]


async def test_overview_counts_are_right(signed_in: httpx.AsyncClient, seeded: Seeded) -> None:
    html = (await signed_in.get("/ui")).text
    counts = {label: count_in(html, label) for label in ("Failed", "Successful", "Created", "Resolved")}
    assert counts == {"Failed": "1", "Successful": "1", "Created": "0", "Resolved": "0"}


async def test_registration_pages_show_its_settings_and_webhooks(
    signed_in: httpx.AsyncClient, seeded: Seeded
) -> None:
    listing = await signed_in.get("/ui/registrations?active=true&entityName=process")
    assert listing.status_code == 200
    assert seeded.registration_id in listing.text
    assert (await signed_in.get("/ui/registrations?active=false")).text.count("/ui/registrations/reg") == 0
    detail = await signed_in.get(f"/ui/registrations/{seeded.registration_id}")
    assert detail.status_code == 200
    html = detail.text
    assert "Basic" in html and USERNAME in html
    assert "Process" in html and "Updated" in html and "Tenant" in html
    assert "shouldGroup" in html
    assert "coalesceUpdates: <strong>no</strong>" in html
    assert "Every attempt has failed since" not in html  # the later success ended the streak
    assert seeded.failed_id in html and seeded.successful_id in html


async def test_webhook_page_shows_fields_and_attempts(signed_in: httpx.AsyncClient, seeded: Seeded) -> None:
    page = await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")
    assert page.status_code == 200
    html = page.text
    assert 'class="badge state-failed"' in html
    assert 'Attempts <span class="muted">· 7</span>' in html
    assert "2026-01-05T12:00:00Z" in html  # the first attempt, ISO UTC
    assert html.count('<li class="attempt bad">') == 7
    assert ">500<" in html
    for action in ("abort", "resolve", "retry"):
        assert f'action="/ui/webhooks/{seeded.failed_id}/{action}"' in html


async def test_webhooks_filter_by_state_entity_and_registration(
    signed_in: httpx.AsyncClient, seeded: Seeded
) -> None:
    async def ids(query: str) -> set[str]:
        answer = await signed_in.get(f"/ui/webhooks?{query}")
        assert answer.status_code == 200, answer.text
        return {i for i in (seeded.failed_id, seeded.successful_id) if f"/ui/webhooks/{i}" in answer.text}

    both = {seeded.failed_id, seeded.successful_id}
    assert await ids("") == both
    assert await ids("state=Failed") == {seeded.failed_id}
    assert await ids("state=3") == {seeded.successful_id}
    assert await ids("entityName=tenant") == {seeded.successful_id}
    assert await ids("entityName=Process&entityId=42") == {seeded.failed_id}
    assert await ids("entityId=nope") == set()
    assert await ids(f"registrationId={seeded.registration_id}&state=") == both
    assert await ids("registrationId=reg_other") == set()


async def test_webhooks_page_through(signed_in: httpx.AsyncClient, seeded: Seeded) -> None:
    first = await signed_in.get("/ui/webhooks?pageSize=1")
    assert "page 1 of 2" in first.text
    assert seeded.successful_id in first.text and seeded.failed_id not in first.text  # newest first
    assert 'href="/ui/webhooks?pageSize=1&amp;pageNumber=2"' in first.text
    second = await signed_in.get("/ui/webhooks?pageSize=1&pageNumber=2")
    assert seeded.failed_id in second.text and seeded.successful_id not in second.text


@pytest.mark.parametrize(
    ("query", "message"),
    [("state=Lost", "must be one of"), ("entityName=Spaceship", "unknown entity")],
)
async def test_bad_filters_are_explained(signed_in: httpx.AsyncClient, query: str, message: str) -> None:
    answer = await signed_in.get(f"/ui/webhooks?{query}")
    assert answer.status_code == 422
    assert message in answer.text
    assert answer.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("query", ["pageSize=0", "pageSize=501", "pageNumber=0", "pageNumber=x"])
async def test_bad_paging_is_an_html_error(signed_in: httpx.AsyncClient, query: str) -> None:
    answer = await signed_in.get(f"/ui/webhooks?{query}")
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")


async def test_unknown_pages_answer_404_html(signed_in: httpx.AsyncClient) -> None:
    for path in ("/ui/nothing-here", "/ui/webhooks/wh_missing", "/ui/registrations/reg_missing"):
        answer = await signed_in.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")


async def test_static_files_need_no_sign_in(api: httpx.AsyncClient) -> None:
    css = await api.get("/ui/static/hookline.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ".state-failed" in css.text
    assert (await api.get("/ui/static/favicon.svg")).status_code == 200
    assert (await api.get("/ui/static/hookline.js")).status_code == 200
    assert (await api.get("/ui/static/..%2Fpages.py")).status_code == 404


async def test_pages_carry_security_headers(signed_in: httpx.AsyncClient) -> None:
    answer = await signed_in.get("/ui")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"


# Isolation and secrets ---------------------------------------------------------------------------


@pytest.fixture
async def two_organizations(
    runtime: Runtime, clock: FrozenClock, receiver: Receiver
) -> AsyncIterator[tuple[Seeded, Seeded]]:
    yield await seed(runtime, clock, receiver, "acme"), await seed(runtime, clock, receiver, "globex")


async def test_a_subscriber_never_sees_another_organization(
    api: httpx.AsyncClient, runtime: Runtime, two_organizations: tuple[Seeded, Seeded]
) -> None:
    acme, globex = two_organizations
    await sign_in(api, await new_key(runtime, "globex", Role.SUBSCRIBER))
    for path in (
        f"/ui/webhooks/{acme.failed_id}",
        f"/ui/webhooks/{acme.successful_id}",
        f"/ui/registrations/{acme.registration_id}",
    ):
        answer = await api.get(path)
        assert answer.status_code == 404, path
        assert "acme" not in answer.text.replace(acme.registration_id, ""), path  # only the id asked for
    for path in (
        "/ui",
        "/ui/webhooks",
        "/ui/registrations",
        f"/ui/webhooks?registrationId={acme.registration_id}",
    ):
        html = (await api.get(path)).text
        assert acme.failed_id not in html and acme.successful_id not in html, path
        assert f"/ui/registrations/{acme.registration_id}" not in html, path
    assert globex.failed_id in (await api.get("/ui/webhooks")).text
    assert (await api.get("/ui/webhooks?organizationId=acme")).text.count(acme.failed_id) == 0

    token = csrf_of((await api.get(f"/ui/webhooks/{globex.failed_id}")).text)
    foreign = await api.post(f"/ui/webhooks/{acme.failed_id}/abort", data={"csrf": token})
    assert foreign.status_code == 404
    assert await state_of(runtime, acme.failed_id) is WebhookState.FAILED


async def test_an_admin_sees_every_organization(
    api: httpx.AsyncClient, runtime: Runtime, two_organizations: tuple[Seeded, Seeded]
) -> None:
    acme, globex = two_organizations
    await sign_in(api, await new_key(runtime, "acme", Role.ADMIN))
    overview = (await api.get("/ui")).text
    assert "all organizations" in overview
    assert acme.registration_id in overview and globex.registration_id in overview
    assert count_in(overview, "Failed") == "2"
    narrowed = (await api.get("/ui?organizationId=globex")).text
    assert count_in(narrowed, "Failed") == "1"
    assert acme.registration_id not in narrowed
    assert (await api.get(f"/ui/webhooks/{acme.failed_id}")).status_code == 200
    assert (await api.get(f"/ui/registrations/{globex.registration_id}")).status_code == 200
    listing = (await api.get("/ui/webhooks?organizationId=acme")).text
    assert acme.failed_id in listing and globex.failed_id not in listing


@pytest.mark.parametrize("role", [Role.SUBSCRIBER, Role.ADMIN])
async def test_password_and_signing_secret_never_appear(
    api: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, role: Role
) -> None:
    await sign_in(api, await new_key(runtime, "acme", role))
    secret_body = seeded.signing_secret.removeprefix("whsec_")
    for path in [*pages_of(seeded), "/ui/registrations?active=true"]:
        answer = await api.get(path)
        assert answer.status_code == 200, path
        assert PASSWORD not in answer.text, path
        assert secret_body not in answer.text, path
        assert "whsec_" not in answer.text, path


async def test_a_response_body_is_escaped(signed_in: httpx.AsyncClient, seeded: Seeded) -> None:
    html = (await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")).text
    assert EVIL_BODY not in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    scripts = html.count("<script")
    assert scripts == 1  # only the page's own static script


# Actions and CSRF --------------------------------------------------------------------------------


async def test_actions_need_the_sessions_csrf_token(
    api: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    key = await new_key(runtime, "acme", Role.SUBSCRIBER)
    await sign_in(api, key)
    first_token = csrf_of((await api.get(f"/ui/webhooks/{seeded.failed_id}")).text)
    url = f"/ui/webhooks/{seeded.failed_id}/abort"

    for form in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": first_token + "0"}):
        refused = await api.post(url, data=form)
        assert refused.status_code == 403, form
        assert "Reload the page" in refused.text
    assert (await api.post(url, json={"csrf": first_token})).status_code == 403  # not a form
    cross_site = await api.post(url, data={"csrf": first_token}, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    assert await state_of(runtime, seeded.failed_id) is WebhookState.FAILED

    await sign_in(api, key)  # a new session: the old token no longer works
    assert (await api.post(url, data={"csrf": first_token})).status_code == 403
    token = csrf_of((await api.get(f"/ui/webhooks/{seeded.failed_id}")).text)
    assert token != first_token
    done = await api.post(url, data={"csrf": token}, headers={"Origin": "http://hookline.test"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/webhooks/{seeded.failed_id}?done=abort"
    assert await state_of(runtime, seeded.failed_id) is WebhookState.ABORTED
    assert "Aborted: no further attempts" in (await api.get(done.headers["location"])).text


async def test_retry_then_delivery_makes_it_successful(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    token = csrf_of((await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")).text)
    done = await signed_in.post(f"/ui/webhooks/{seeded.failed_id}/retry", data={"csrf": token})
    assert done.status_code == 303
    page = await signed_in.get(done.headers["location"])
    assert "Retry requested" in page.text
    assert 'class="badge state-retrying"' in page.text
    assert await runtime.worker.deliver_due() == 1
    page = await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")
    assert 'class="badge state-successful"' in page.text
    assert '<li class="attempt ok">' in page.text


async def test_resolving_a_successful_webhook_shows_the_conflict(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    token = csrf_of((await signed_in.get(f"/ui/webhooks/{seeded.successful_id}")).text)
    answer = await signed_in.post(f"/ui/webhooks/{seeded.successful_id}/resolve", data={"csrf": token})
    assert answer.status_code == 409
    assert "Not possible: a Successful webhook cannot become Resolved." in answer.text
    assert 'class="badge state-successful"' in answer.text
    assert await state_of(runtime, seeded.successful_id) is WebhookState.SUCCESSFUL

    resolved = await signed_in.post(f"/ui/webhooks/{seeded.failed_id}/resolve", data={"csrf": token})
    assert resolved.status_code == 303
    assert await state_of(runtime, seeded.failed_id) is WebhookState.RESOLVED


async def test_an_unknown_action_is_404(signed_in: httpx.AsyncClient, seeded: Seeded) -> None:
    token = csrf_of((await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")).text)
    answer = await signed_in.post(f"/ui/webhooks/{seeded.failed_id}/explode", data={"csrf": token})
    assert answer.status_code == 404


async def test_ui_with_a_trailing_slash_goes_to_the_overview(signed_in: httpx.AsyncClient) -> None:
    answer = await signed_in.get("/ui/")
    assert answer.status_code == 307
    assert answer.headers["location"] == "/ui"


async def test_a_failing_registration_is_marked_in_the_list_and_on_its_page(
    signed_in: httpx.AsyncClient, seeded: Seeded, runtime: Runtime, receiver: Receiver
) -> None:
    listing = await signed_in.get("/ui/registrations")
    assert 'class="badge active"' in listing.text and "badge failing" not in listing.text

    receiver.default = Reply(500)
    await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "8"))
    assert await runtime.worker.deliver_due() == 1

    listing = await signed_in.get("/ui/registrations")
    assert 'class="badge failing"' in listing.text and 'class="badge active"' not in listing.text
    detail = (await signed_in.get(f"/ui/registrations/{seeded.registration_id}")).text
    assert "Every attempt has failed since" in detail


async def test_a_test_webhook_shows_its_answer_once_after_a_redirect(
    signed_in: httpx.AsyncClient, seeded: Seeded, receiver: Receiver
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    token = csrf_of((await signed_in.get(page)).text)
    before = len(receiver.requests)

    answer = await signed_in.post(f"{page}/test", data={"csrf": token})

    assert answer.status_code == 303  # POST-redirect-GET: a reload never sends it again
    assert answer.headers["location"] == page
    [sent] = receiver.requests[before:]
    assert b'"entityName":"WebhookRegistration"' in sent.body.replace(b" ", b"")
    shown = await signed_in.get(page)
    assert "Test webhook answered 200 in " in shown.text
    assert '<pre class="code">thanks</pre>' in shown.text  # the response body
    reloaded = await signed_in.get(page)
    assert "Test webhook answered" not in reloaded.text
    assert len(receiver.requests) == before + 1

    receiver.default = Reply(503, "<b>busy</b>")
    await signed_in.post(f"{page}/test", data={"csrf": token})
    failed = (await signed_in.get(page)).text
    assert "Test webhook failed after " in failed and "HTTP 503" in failed
    assert "&lt;b&gt;busy&lt;/b&gt;" in failed


async def test_a_shown_once_result_belongs_to_its_session(
    api: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    key = await new_key(runtime, "acme", Role.SUBSCRIBER)
    await sign_in(api, key)
    page = f"/ui/registrations/{seeded.registration_id}"
    token = csrf_of((await api.get(page)).text)
    answer = await api.post(f"{page}/test", data={"csrf": token})
    flash = answer.cookies["hookline_flash"]
    await sign_in(api, key)  # another session of the same key
    api.cookies.set("hookline_flash", flash, domain="hookline.test", path="/ui")
    assert "Test webhook answered" not in (await api.get(page)).text


async def test_deactivate_and_reactivate_from_the_registration_page(
    signed_in: httpx.AsyncClient, seeded: Seeded, runtime: Runtime
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    token = csrf_of((await signed_in.get(page)).text)

    done = await signed_in.post(f"{page}/deactivate", data={"csrf": token})
    assert done.status_code == 303
    shown = (await signed_in.get(done.headers["location"])).text
    assert "Deactivated: it receives no new webhooks" in shown
    assert 'class="badge inactive"' in shown and f"{page}/reactivate" in shown
    assert (await runtime.hookline.get_registration(seeded.registration_id, None)).is_active is False

    done = await signed_in.post(f"{page}/reactivate", data={"csrf": token})
    shown = (await signed_in.get(done.headers["location"])).text
    assert "Reactivated" in shown and 'class="badge active"' in shown
    assert (await runtime.hookline.get_registration(seeded.registration_id, None)).is_active is True


async def test_registration_actions_need_the_forms_token_and_a_known_action(
    signed_in: httpx.AsyncClient, seeded: Seeded, runtime: Runtime, receiver: Receiver
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    before = len(receiver.requests)
    for action in ("deactivate", "test"):
        assert (await signed_in.post(f"{page}/{action}", data={"csrf": "forged"})).status_code == 403
    assert (await runtime.hookline.get_registration(seeded.registration_id, None)).is_active is True
    assert len(receiver.requests) == before
    token = csrf_of((await signed_in.get(page)).text)
    assert (await signed_in.post(f"{page}/explode", data={"csrf": token})).status_code == 404


async def test_reactivating_beside_an_identical_active_registration_shows_the_conflict(
    signed_in: httpx.AsyncClient, seeded: Seeded, runtime: Runtime, receiver: Receiver
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    token = csrf_of((await signed_in.get(page)).text)
    assert (await signed_in.post(f"{page}/deactivate", data={"csrf": token})).status_code == 303
    await runtime.hookline.register(
        RegistrationDraft(
            organization_id="acme",
            target_url=receiver.url("/acme"),
            enabled_events=[
                EventChoice("Process", WebhookEventType.UPDATED),
                EventChoice("Tenant", WebhookEventType.CREATED),
            ],
            target_authorization=TargetAuthorization(AuthorizationType.BASIC, USERNAME, PASSWORD),
        )
    )

    answer = await signed_in.post(f"{page}/reactivate", data={"csrf": token})

    assert answer.status_code == 409
    assert "Not possible: an identical active registration exists." in answer.text
    assert (await runtime.hookline.get_registration(seeded.registration_id, None)).is_active is False


async def test_a_signed_out_session_cookie_is_refused(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.SUBSCRIBER))
    overview = await api.get("/ui")
    kept = api.cookies["hookline_session"]
    assert (await api.post("/ui/logout", data={"csrf": csrf_of(overview.text)})).status_code == 303
    api.cookies.set("hookline_session", kept, domain="hookline.test", path="/ui")  # a copy kept
    replayed = await api.get("/ui")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/ui/login")
    refused = await api.post("/ui/registrations/new", data={"csrf": csrf_of(overview.text)})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/ui/login")


async def test_a_session_ends_after_its_lifetime(
    api: httpx.AsyncClient, runtime: Runtime, clock: FrozenClock
) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.SUBSCRIBER))
    assert (await api.get("/ui")).status_code == 200
    clock.advance(timedelta(hours=12, seconds=1))
    assert (await api.get("/ui")).status_code == 303


async def test_a_deactivation_by_hand_names_the_key(
    api: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    record, key = await runtime.hookline.create_api_key("acme", Role.SUBSCRIBER, "ops desk")
    await sign_in(api, key)
    page = f"/ui/registrations/{seeded.registration_id}"
    assert (
        await api.post(f"{page}/deactivate", data={"csrf": csrf_of((await api.get(page)).text)})
    ).status_code == 303
    shown = (await api.get(page)).text
    assert "ops desk" in shown and record.id in shown and key not in shown
