"""Pause and Resume from a registration's page: held webhooks wait in Pending, none is sent, and
resuming delivers them; a paused registration's webhooks offer no Retry."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from hookline.clock import FrozenClock
from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.runtime import Runtime
from hookline.service import EventDraft
from tests.conftest import Receiver
from tests.ui.conftest import Seeded, csrf_of


async def test_pause_holds_and_resume_delivers(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver, clock: FrozenClock
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    html = (await signed_in.get(page)).text
    assert f'action="{page}/pause"' in html and f'action="{page}/resume"' not in html
    paused = await signed_in.post(f"{page}/pause", data={"csrf": csrf_of(html)})
    assert paused.status_code == 303
    html = (await signed_in.get(paused.headers["location"])).text
    assert "Paused: new webhooks wait in Pending" in html and 'class="badge paused"' in html
    assert f'action="{page}/resume"' in html and f'action="{page}/pause"' not in html
    assert not re.search(
        r'action="/ui/webhooks/[^"]+/retry"', (await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")).text
    )

    before = len(receiver.requests)
    held = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "90"))
    assert await runtime.worker.deliver_due() == 0
    assert (await runtime.hookline.get_webhook(held.webhook_ids[0], None)).state is WebhookState.PENDING
    assert len(receiver.requests) == before

    resumed = await signed_in.post(f"{page}/resume", data={"csrf": csrf_of(html)})
    assert (
        "Resumed: the held webhooks are released" in (await signed_in.get(resumed.headers["location"])).text
    )
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 1
    assert (await runtime.hookline.get_webhook(held.webhook_ids[0], None)).state is WebhookState.SUCCESSFUL
    assert len(receiver.requests) == before + 1
