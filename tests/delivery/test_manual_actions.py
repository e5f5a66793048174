"""Manual retry and recover respect the registration: nothing is sent for a paused, inactive or
deleted one, and the 409 says what to do instead."""

from __future__ import annotations

from hookline.runtime import Runtime
from tests.api.support import assert_problem, iso
from tests.conftest import START, Reply
from tests.delivery.conftest import Client, LiveReceiver

FAILED, PENDING = 4, 6


async def _retry_and_recover(client: Client, webhook_id: str, registration_id: str) -> list[str]:
    """Both manual actions; each must be refused with 409 problem+json; answers their details."""
    retry = await client.http.post(f"/api/webhooks/{webhook_id}/retry", headers=client.headers)
    recover = await client.http.post(
        f"/api/webhook-registrations/{registration_id}/recover",
        headers=client.headers,
        json={"since": iso(START), "states": ["Failed", "Pending"]},
    )
    details = []
    for answer in (retry, recover):
        assert_problem(answer, 409)
        details.append(answer.json()["detail"])
    return details


async def test_retry_and_recover_after_410_gone_are_409_saying_reactivate_first(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    registration = await client.register(receiver.url())
    receiver.reply(Reply(410))
    webhook_id = await client.publish_one()
    assert await runtime.worker.deliver_due() == 1
    assert (await client.registration(registration["id"]))["isActive"] is False

    for detail in await _retry_and_recover(client, webhook_id, registration["id"]):
        assert "inactive" in detail and "reactivate it first" in detail
    assert await runtime.worker.deliver_due() == 0
    assert len(receiver.requests) == 1
    assert await client.states(webhook_id) == [FAILED]

    await client.http.patch(
        f"/api/webhook-registrations/{registration['id']}", headers=client.headers, json={"isActive": True}
    )
    assert (await client.act(webhook_id, "retry"))["state"] == 2
    assert await runtime.worker.deliver_due() == 1


async def test_retry_and_recover_while_paused_are_409_saying_resume_first(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    registration = await client.register(receiver.url(), isPaused=True)
    webhook_id = await client.publish_one()

    for detail in await _retry_and_recover(client, webhook_id, registration["id"]):
        assert "paused" in detail and "resume it first" in detail
    assert await client.states(webhook_id) == [PENDING]
    assert await runtime.worker.deliver_due() == 0


async def test_retry_of_a_deleted_registrations_webhook_is_409(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    registration = await client.register(receiver.url())
    receiver.reply(Reply(500))
    webhook_id = await client.publish_one()
    assert await runtime.worker.deliver_due() == 1
    deleted = await client.http.delete(
        f"/api/webhook-registrations/{registration['id']}", headers=client.headers
    )
    assert deleted.status_code == 204

    answer = await client.http.post(f"/api/webhooks/{webhook_id}/retry", headers=client.headers)
    assert_problem(answer, 409)
    assert "deleted" in answer.json()["detail"]
    assert await runtime.worker.deliver_due() == 0
