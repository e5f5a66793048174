"""Finding and acting on many: filters by type and time, oldest first, and bulk actions over
the filtered set after a dry-run count and a confirmation."""

from __future__ import annotations

from datetime import timedelta

import httpx

from hookline.clock import FrozenClock
from hookline.domain.enums import Role, WebhookEventType, WebhookState
from hookline.runtime import Runtime
from hookline.service import EventDraft
from tests.conftest import Receiver, Reply
from tests.ui.conftest import Seeded, csrf_of, new_key, sign_in


async def listed(client: httpx.AsyncClient, query: str, *ids: str) -> list[str]:
    answer = await client.get(f"/ui/webhooks?{query}")
    assert answer.status_code == 200, answer.text
    text = answer.text
    return sorted((i for i in ids if f"/ui/webhooks/{i}" in text), key=text.index)


async def test_filters_by_type_and_time_and_sorts_oldest_first(
    signed_in: httpx.AsyncClient, seeded: Seeded
) -> None:
    both = (seeded.failed_id, seeded.successful_id)
    assert await listed(signed_in, "", *both) == [seeded.successful_id, seeded.failed_id]
    assert await listed(signed_in, "order=oldest", *both) == [seeded.failed_id, seeded.successful_id]
    assert await listed(signed_in, "type=Updated", *both) == [seeded.failed_id]
    assert await listed(signed_in, "type=1", *both) == [seeded.successful_id]
    assert await listed(signed_in, "createdAfter=2026-01-06T00:00", *both) == [seeded.successful_id]
    assert await listed(signed_in, "createdBefore=2026-01-06T00:00", *both) == [seeded.failed_id]
    bad = await signed_in.get("/ui/webhooks?createdAfter=yesterday")
    assert bad.status_code == 422 and "createdAfter" in bad.text
    backwards = await signed_in.get(
        "/ui/webhooks?createdAfter=2026-01-06T00:00&createdBefore=2026-01-05T00:00"
    )
    assert backwards.status_code == 422


async def test_bulk_retry_counts_first_then_asks_then_retries(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded, receiver: Receiver, clock: FrozenClock
) -> None:
    receiver.default = Reply(500)
    more = await runtime.hookline.publish(EventDraft("acme", "Process", WebhookEventType.UPDATED, "43"))
    for _ in range(runtime.settings.retry_policy.max_attempts):
        await runtime.worker.deliver_due()
        clock.advance(timedelta(days=2))
    await sign_in(signed_in, await new_key(runtime, "acme", Role.SUBSCRIBER))  # days later: a new session
    failed = [seeded.failed_id, more.webhook_ids[0]]
    assert {(await runtime.hookline.get_webhook(i, None)).state for i in failed} == {WebhookState.FAILED}
    listing = await signed_in.get("/ui/webhooks?state=Failed")
    assert 'action="/ui/webhooks/bulk"' in listing.text
    token = csrf_of(listing.text)

    asked = await signed_in.post(
        "/ui/webhooks/bulk", data={"csrf": token, "action": "retry", "state": "Failed"}
    )
    assert asked.status_code == 200
    assert "Retry 2 webhooks?" in asked.text and "A dry run found 2 matching webhooks" in asked.text
    assert {(await runtime.hookline.get_webhook(i, None)).state for i in failed} == {WebhookState.FAILED}

    done = await signed_in.post(
        "/ui/webhooks/bulk", data={"csrf": token, "action": "retry", "state": "Failed", "confirmed": "yes"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/webhooks?state=Failed"
    assert "Retrying 2 webhooks" in (await signed_in.get(done.headers["location"])).text
    assert {(await runtime.hookline.get_webhook(i, None)).state for i in failed} == {WebhookState.RETRYING}
    receiver.default = Reply(200)
    clock.advance(timedelta(seconds=1))
    assert await runtime.worker.deliver_due() == 2
    assert {(await runtime.hookline.get_webhook(i, None)).state for i in failed} == {WebhookState.SUCCESSFUL}


async def test_bulk_abort_only_touches_the_filtered_set_and_needs_the_token(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    token = csrf_of((await signed_in.get("/ui/webhooks")).text)
    assert (
        await signed_in.post("/ui/webhooks/bulk", data={"action": "abort", "confirmed": "yes"})
    ).status_code == 403
    refused = await signed_in.post("/ui/webhooks/bulk", data={"csrf": token, "action": "explode"})
    assert refused.status_code == 422
    done = await signed_in.post(
        "/ui/webhooks/bulk",
        data={"csrf": token, "action": "abort", "entityName": "Process", "confirmed": "yes"},
    )
    assert done.status_code == 303
    assert (await runtime.hookline.get_webhook(seeded.failed_id, None)).state is WebhookState.ABORTED
    assert (await runtime.hookline.get_webhook(seeded.successful_id, None)).state is WebhookState.SUCCESSFUL
