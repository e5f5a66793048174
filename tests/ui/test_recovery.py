"""'Recover failed since ...': a count first, then one more attempt each once confirmed."""

from __future__ import annotations

import httpx

from hookline.domain.enums import WebhookState
from hookline.runtime import Runtime
from tests.ui.conftest import Seeded, csrf_of


async def test_recover_counts_then_asks_then_recovers(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    token = csrf_of((await signed_in.get(page)).text)
    fields = {"csrf": token, "since": "2026-01-05T00:00", "state": "Failed"}

    counted = await signed_in.post(f"{page}/recover", data=fields)
    assert counted.status_code == 200
    assert "Recover 1 webhook?" in counted.text
    assert (await runtime.hookline.get_webhook(seeded.failed_id, None)).state is WebhookState.FAILED

    none = await signed_in.post(f"{page}/recover", data={**fields, "since": "2026-01-06T00:00"})
    assert "Recover 0 webhooks?" in none.text and 'name="confirmed"' not in none.text

    done = await signed_in.post(f"{page}/recover", data={**fields, "confirmed": "yes"})
    assert done.status_code == 303
    shown = (await signed_in.get(page)).text
    assert "Recovering 1 webhook: one more attempt each" in shown
    assert (await runtime.hookline.get_webhook(seeded.failed_id, None)).state is WebhookState.RETRYING
    assert await runtime.worker.deliver_due() == 1
    assert (await runtime.hookline.get_webhook(seeded.failed_id, None)).state is WebhookState.SUCCESSFUL


async def test_a_bad_recovery_says_why_next_to_each_field(
    signed_in: httpx.AsyncClient, runtime: Runtime, seeded: Seeded
) -> None:
    page = f"/ui/registrations/{seeded.registration_id}"
    token = csrf_of((await signed_in.get(page)).text)
    answer = await signed_in.post(f"{page}/recover", data={"csrf": token, "since": "soon"})
    assert answer.status_code == 422
    assert 'id="since-error">Enter a date and time such as 2027-01-31T18:00 (UTC).' in answer.text
    assert 'id="state-error">Choose at least one state.' in answer.text
    backwards = await signed_in.post(
        f"{page}/recover",
        data={"csrf": token, "since": "2026-01-05T00:00", "until": "2026-01-04T00:00", "state": "Failed"},
    )
    assert backwards.status_code == 422
    assert 'id="until-error">Must be after since.' in backwards.text
    assert (await signed_in.post(f"{page}/recover", data={"since": "2026-01-05T00:00"})).status_code == 403
    assert (await runtime.hookline.get_webhook(seeded.failed_id, None)).state is WebhookState.FAILED
