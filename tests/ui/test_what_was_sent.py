"""What was sent: a Webhook's page shows its payload and, per attempt, the request headers (secrets
masked) and the response; an event's page shows the event and every Webhook it made; a Pending
Webhook names what blocks its group and acts on it."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx

from hookline.clock import FrozenClock
from hookline.domain.enums import Role, WebhookEventType, WebhookState
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationChanges
from tests.conftest import Receiver, Reply
from tests.ui.conftest import PASSWORD, Seeded, csrf_of, new_key, sign_in


async def test_the_payload_and_each_attempts_request_and_response(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver
) -> None:
    html = (await signed_in.get(f"/ui/webhooks/{seeded.successful_id}")).text
    payload = re.search(r'<pre class="code" id="payload">([^<]+)</pre>', html)
    assert payload
    body = json.loads(payload.group(1).replace("&#34;", '"'))
    assert body["id"] == seeded.successful_id and body["entityId"] == "7" and body["data"] == {"n": 2}
    assert "<h3>Request</h3>" in html and "<h3>Response</h3>" in html
    assert "<dt>webhook-id</dt><dd>" + seeded.successful_id + "</dd>" in html
    assert "<dt>webhook-signature</dt><dd>v1,•••</dd>" in html
    assert "<dt>Authorization</dt><dd>Basic •••</dd>" in html.replace(
        "<dt>authorization</dt>", "<dt>Authorization</dt>"
    )
    assert PASSWORD not in html and seeded.signing_secret.removeprefix("whsec_") not in html
    assert re.search(r"<dt>Content-Type</dt><dd>text/plain; charset=utf-8</dd>", html, re.IGNORECASE)
    assert '<pre class="code">thanks</pre>' in html


async def test_an_event_page_lists_every_webhook_it_made(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver
) -> None:
    webhook = await runtime.hookline.get_webhook(seeded.failed_id, None)
    page = await signed_in.get(f"/ui/events/{webhook.event_id}")
    assert page.status_code == 200
    assert f'href="/ui/webhooks/{seeded.failed_id}"' in page.text
    assert "Process" in page.text and "#42" in page.text and "&#34;n&#34;: 1" in page.text
    assert (
        f'href="/ui/events/{webhook.event_id}"'
        in (await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")).text
    )
    assert (await signed_in.get("/ui/events/evt_missing")).status_code == 404


async def test_another_organizations_event_is_not_found(
    api: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    await sign_in(api, await new_key(runtime, "globex", Role.SUBSCRIBER))
    webhook = await runtime.hookline.get_webhook(seeded.failed_id, None)
    assert (await api.get(f"/ui/events/{webhook.event_id}")).status_code == 404


async def test_a_pending_webhook_names_its_blocker_and_resolves_it_from_its_own_page(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver, clock: FrozenClock
) -> None:
    await runtime.hookline.update_registration(
        seeded.registration_id, None, RegistrationChanges(should_group=True)
    )
    receiver.default = Reply(500)
    first = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "5"))
    for _ in range(runtime.settings.retry_policy.max_attempts):
        await runtime.worker.deliver_due()
        clock.advance(timedelta(days=2))
    await sign_in(signed_in, await new_key(runtime, "acme", Role.SUBSCRIBER))  # days later: a new session
    second = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "5"))
    blocker_id, pending_id = first.webhook_ids[0], second.webhook_ids[0]
    assert (await runtime.hookline.get_webhook(pending_id, None)).state is WebhookState.PENDING

    page = (await signed_in.get(f"/ui/webhooks/{pending_id}")).text
    assert f'Waiting behind <a class="mono" href="/ui/webhooks/{blocker_id}">{blocker_id}</a>' in page
    assert f'action="/ui/webhooks/{blocker_id}/resolve"' in page
    receiver.default = Reply(200)
    done = await signed_in.post(
        f"/ui/webhooks/{blocker_id}/resolve", data={"csrf": csrf_of(page), "back": pending_id}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/webhooks/{pending_id}?done=blocker-resolve"
    shown = (await signed_in.get(done.headers["location"])).text
    assert "was resolved: the group moves on" in shown
    assert (await runtime.hookline.get_webhook(blocker_id, None)).state is WebhookState.RESOLVED
    assert (await runtime.hookline.get_webhook(pending_id, None)).state is WebhookState.CREATED


async def test_a_registration_lists_its_blocked_groups(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver, clock: FrozenClock
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    assert "Blocked groups" not in (await signed_in.get(page)).text
    await runtime.hookline.update_registration(
        seeded.registration_id, None, RegistrationChanges(should_group=True)
    )
    receiver.default = Reply(500)
    first = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "6"))
    for _ in range(runtime.settings.retry_policy.max_attempts):
        await runtime.worker.deliver_due()
        clock.advance(timedelta(days=2))
    await sign_in(signed_in, await new_key(runtime, "acme", Role.SUBSCRIBER))  # days later: a new session
    await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "6"))
    html = (await signed_in.get(page)).text
    assert 'Blocked groups <span class="muted">· 1</span>' in html
    assert '<td class="mono">Tenant:6</td>' in html
    assert f'href="/ui/webhooks/{first.webhook_ids[0]}"' in html
