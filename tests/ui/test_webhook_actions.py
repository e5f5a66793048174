"""A Webhook's page offers only the actions its state (and its registration) allows."""

from __future__ import annotations

import re

import httpx

from hookline.domain.enums import WebhookEventType
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationChanges
from tests.ui.conftest import Seeded

BUTTON = re.compile(r'action="/ui/webhooks/[^/"]+/(retry|resolve|abort)"')


async def offered(client: httpx.AsyncClient, webhook_id: str) -> list[str]:
    page = await client.get(f"/ui/webhooks/{webhook_id}")
    assert page.status_code == 200
    return BUTTON.findall(page.text)


async def test_each_state_offers_only_what_it_allows(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    assert await offered(signed_in, seeded.failed_id) == ["retry", "resolve", "abort"]
    assert await offered(signed_in, seeded.successful_id) == ["retry"]
    created = await runtime.hookline.publish(EventDraft("acme", "Tenant", WebhookEventType.CREATED, "9"))
    assert await offered(signed_in, created.webhook_ids[0]) == ["resolve", "abort"]  # due already
    await runtime.hookline.resolve(seeded.failed_id, None)
    assert await offered(signed_in, seeded.failed_id) == ["retry"]


async def test_no_retry_while_the_registration_is_inactive(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    await runtime.hookline.update_registration(
        seeded.registration_id, None, RegistrationChanges(is_active=False)
    )
    assert await offered(signed_in, seeded.failed_id) == ["resolve", "abort"]
    page = (await signed_in.get(f"/ui/webhooks/{seeded.failed_id}")).text
    assert "Its registration is inactive: reactivate it to retry this webhook." in page
