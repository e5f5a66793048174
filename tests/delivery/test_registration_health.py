"""Keeping registrations healthy: failing streaks, deactivation after days of failures or at
`expiresAt`, the operational events that announce it, and retention; the clock is advanced,
never waited for."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from hookline.clock import FrozenClock
from hookline.domain.retry import RetryPolicy
from hookline.maintenance import MaintenanceReport
from hookline.runtime import Runtime
from hookline.store.tables import webhook_events, webhook_registrations, webhook_target_authorizations
from tests.api.support import iso
from tests.conftest import START, Reply
from tests.delivery.conftest import Client, LiveReceiver, StackFactory

CREATED, RETRYING, SUCCESSFUL, FAILED, ABORTED, PENDING = 1, 2, 3, 4, 5, 6
OPERATIONAL_EVENTS = [
    {"entityName": "WebhookRegistration", "type": "Updated"},
    {"entityName": "Webhook", "type": "Updated"},
]


async def watch(client: Client, receiver: LiveReceiver) -> dict[str, Any]:
    """A second endpoint of the organization, subscribed to hookline's operational events."""
    return await client.register(receiver.url("/watch"), enabledEvents=OPERATIONAL_EVENTS)


def announcements(receiver: LiveReceiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests if r.path == "/watch"]


async def test_a_failing_streak_starts_at_the_first_failure_and_ends_with_a_success(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url())
    receiver.reply(Reply(500), Reply(503))
    await client.publish("1")
    assert await runtime.worker.deliver_due() == 1
    assert (await client.registration(registration["id"]))["failingSince"] == iso(START)

    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 1  # fails again: the streak keeps its start
    assert (await client.registration(registration["id"]))["failingSince"] == iso(START)

    clock.advance(timedelta(minutes=15))
    assert await runtime.worker.deliver_due() == 1  # succeeds
    assert (await client.registration(registration["id"]))["failingSince"] is None


async def test_five_days_of_failures_pause_the_registration_and_announce_it(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    watcher = await watch(client, receiver)
    down = await client.register(receiver.url("/down"))
    recovered = await client.register(receiver.url("/recovered"))
    receiver.reply_at("/down", Reply(500), Reply(500))
    receiver.reply_at("/recovered", Reply(500))
    webhooks = await client.publish_to("1")
    assert await runtime.worker.deliver_due() == 2
    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 2  # /down fails again, /recovered succeeds
    waiting = (await client.publish_to("2"))[down["id"]]

    clock.advance(timedelta(days=5) - timedelta(minutes=6))
    assert (await runtime.maintenance.run_once()).failing == 0
    assert (await client.registration(down["id"]))["isPaused"] is False

    clock.advance(timedelta(minutes=2))
    report = await runtime.maintenance.run_once()

    assert report.failing == 1
    paused = await client.registration(down["id"])
    reason = f"every delivery attempt failed for 5 days (failing since {iso(START)})"
    assert (paused["isActive"], paused["isPaused"], paused["pausedAt"]) == (True, True, iso(clock.now()))
    assert paused["disabledReason"] == reason
    assert (await client.registration(recovered["id"]))["isPaused"] is False
    assert await client.states(webhooks[down["id"]], waiting) == [PENDING, PENDING]
    assert await client.states(webhooks[recovered["id"]]) == [SUCCESSFUL]
    assert await runtime.maintenance.run_once() == MaintenanceReport()  # nothing left to do

    later = (await client.publish_to("3"))[down["id"]]  # events keep arriving, held
    assert await client.states(later) == [PENDING]
    assert await runtime.worker.deliver_due() == 3  # /recovered's two, and the announcement
    [announced] = announcements(receiver)
    assert (announced["entityName"], announced["type"], announced["entityId"]) == (
        "WebhookRegistration",
        2,
        down["id"],
    )
    assert announced["registrationId"] == watcher["id"]
    assert announced["data"] == {
        "registrationId": down["id"],
        "targetUrl": receiver.url("/down"),
        "change": "paused",
        "isActive": True,
        "isPaused": True,
        "disabledReason": reason,
        "abortedWebhooks": 0,
        "heldWebhooks": 2,
    }

    answer = await client.http.patch(
        f"/api/webhook-registrations/{down['id']}", headers=client.headers, json={"isPaused": False}
    )
    assert answer.status_code == 200, answer.text
    resumed = answer.json()
    assert (resumed["isPaused"], resumed["pausedAt"], resumed["disabledReason"], resumed["failingSince"]) == (
        False,
        None,
        None,
        None,
    )
    clock.advance(timedelta(seconds=1))  # the release is spread at 20 per second
    assert await runtime.worker.deliver_due() == 4  # the three held Webhooks and the announcement
    assert await client.states(webhooks[down["id"]], waiting, later) == [SUCCESSFUL] * 3
    assert announcements(receiver)[-1]["data"] == {
        "registrationId": down["id"],
        "targetUrl": receiver.url("/down"),
        "change": "resumed",
        "isActive": True,
        "isPaused": False,
        "disabledReason": None,
        "abortedWebhooks": 0,
        "releasedWebhooks": 3,
    }


async def test_the_failure_window_is_a_setting_and_zero_turns_it_off(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    for window, paused in ((timedelta(hours=1), 1), (timedelta(0), 0)):
        stack = await make_stack(clock, disable_after_failing=window)
        registration = await stack.client.register(receiver.url(f"/{window.seconds}"))
        receiver.reply_at(f"/{window.seconds}", Reply(500))
        await stack.client.publish("1")
        assert await stack.runtime.worker.deliver_due() == 1
        clock.advance(timedelta(hours=2))
        assert (await stack.runtime.maintenance.run_once()).failing == paused
        assert (await stack.client.registration(registration["id"]))["isPaused"] is bool(paused)


async def test_resuming_clears_the_streak_so_it_is_not_paused_again_at_once(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url())
    receiver.reply(Reply(500))
    await client.publish("1")
    assert await runtime.worker.deliver_due() == 1
    clock.advance(timedelta(days=6))
    assert (await runtime.maintenance.run_once()).failing == 1

    answer = await client.http.patch(
        f"/api/webhook-registrations/{registration['id']}", headers=client.headers, json={"isPaused": False}
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["isPaused"], answer.json()["disabledReason"], answer.json()["failingSince"]) == (
        False,
        None,
        None,
    )
    assert (await runtime.maintenance.run_once()).failing == 0


async def test_paused_longer_than_max_pause_is_deactivated_aborting_what_it_holds(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await watch(client, receiver)
    registration = await client.register(receiver.url("/paused"), isPaused=True)
    assert (registration["isPaused"], registration["pausedAt"]) == (True, iso(START))
    held = [await client.publish_one(str(n)) for n in range(3)]
    assert await client.states(*held) == [PENDING] * 3

    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert (await runtime.maintenance.run_once()).paused_too_long == 0
    clock.advance(timedelta(seconds=1))
    assert (await runtime.maintenance.run_once()).paused_too_long == 1

    gone = await client.registration(registration["id"])
    reason = f"paused for longer than 7 days (paused at {iso(START)})"
    assert (gone["isActive"], gone["isPaused"], gone["disabledReason"]) == (False, False, reason)
    assert await client.states(*held) == [ABORTED] * 3
    assert await runtime.worker.deliver_due() == 1
    assert not [r for r in receiver.requests if r.path == "/paused"]
    [announced] = announcements(receiver)
    assert announced["data"]["change"] == "deactivated"
    assert (announced["data"]["isActive"], announced["data"]["abortedWebhooks"]) == (False, 3)
    assert announced["data"]["disabledReason"] == reason


async def test_expires_at_deactivates_aborts_and_announces(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await watch(client, receiver)
    expires = START + timedelta(days=2)
    expiring = await client.register(receiver.url("/expiring"), expiresAt=expires.isoformat())
    receiver.reply_at("/expiring", Reply(500))
    [webhook_id] = await client.publish("1")
    assert await runtime.worker.deliver_due() == 1

    clock.advance(timedelta(days=2) - timedelta(seconds=1))
    assert (await runtime.maintenance.run_once()).expired == 0
    clock.advance(timedelta(seconds=1))
    assert (await runtime.maintenance.run_once()).expired == 1

    registration = await client.registration(expiring["id"])
    assert (registration["isActive"], registration["disabledReason"]) == (False, f"expired at {iso(expires)}")
    assert await client.states(webhook_id) == [ABORTED]
    assert await runtime.worker.deliver_due() == 1
    [announced] = announcements(receiver)
    assert announced["data"]["disabledReason"] == f"expired at {iso(expires)}"


async def test_a_webhook_entering_failed_is_announced_once_without_a_feedback_loop(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stack = await make_stack(clock, retry_policy=RetryPolicy.parse("1m"))
    client, worker = stack.client, stack.runtime.worker
    watcher = await watch(client, receiver)
    target = await client.register(receiver.url("/target"))
    receiver.reply_at("/target", Reply(500, "still down"), Reply(502, "down for good"))
    receiver.reply_at("/watch", Reply(500), Reply(500))  # the watcher fails its one too
    [webhook_id] = await client.publish("7")
    assert await worker.deliver_due() == 1
    clock.advance(timedelta(minutes=1))
    assert await worker.deliver_due() == 2  # the second attempt fails for good, then its announcement

    assert await client.states(webhook_id) == [FAILED]
    [announced] = announcements(receiver)
    assert announced["entityName"] == "Webhook" and announced["entityId"] == webhook_id
    assert announced["data"] == {
        "webhookId": webhook_id,
        "registrationId": target["id"],
        "eventId": (await client.webhook(webhook_id))["eventId"],
        "entityName": "Process",
        "type": 2,
        "entityId": "7",
        "state": FAILED,
        "attemptCount": 2,
        "lastResponseStatus": 502,
        "lastError": None,
    }
    clock.advance(timedelta(minutes=1))
    assert await worker.deliver_due() == 1  # the announcement's own last attempt fails...
    clock.advance(timedelta(days=1))
    assert await worker.deliver_due() == 0  # ...and is not announced in turn
    listed = await client.http.get(
        f"/api/webhook-registrations/{watcher['id']}/webhooks", headers=client.headers
    )
    assert [w["state"] for w in listed.json()["items"]] == [FAILED]


async def test_publishers_cannot_forge_operational_events(client: Client) -> None:
    for entity in ("Webhook", "webhookregistration"):
        answer = await client.http.post(
            "/api/events",
            headers=client.headers,
            json={"organizationId": "acme", "entityName": entity, "type": 2, "entityId": "x"},
        )
        assert answer.status_code == 422
        assert "published by hookline itself" in answer.text


async def test_retention_purges_old_ended_webhooks_with_their_attempts_in_small_batches(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stack = await make_stack(clock, disable_after_failing=timedelta(0))  # /held stays active
    stack.runtime.maintenance._batch_size = 2  # several batches for a handful of rows
    client, worker = stack.client, stack.runtime.worker
    ok = await client.register(receiver.url("/ok"))
    held = await client.register(receiver.url("/held"), shouldGroup=True)
    receiver.reply_at("/held", Reply(500))
    old = [await client.publish_to("1") for _ in range(3)]  # /held: one Retrying, two Pending
    assert await worker.deliver_due() == 4
    clock.advance(timedelta(days=20))
    recent = (await client.publish_to("2"))[ok["id"]]
    clock.advance(timedelta(days=10, seconds=1))

    report = await stack.runtime.maintenance.run_once()

    # the three /ok Webhooks ended 30 days ago: gone with their attempts; the rest stays
    assert (report.purged_webhooks, report.purged_events) == (3, 0)
    for by_registration in old:
        gone = await client.http.get(f"/api/webhooks/{by_registration[ok['id']]}", headers=client.headers)
        assert gone.status_code == 404
        assert await client.states(by_registration[held["id"]]) in ([RETRYING], [PENDING])
    assert await client.states(recent) == [CREATED]
    async with stack.runtime.db.read() as conn:
        attempts = (await conn.exec_driver_sql("SELECT count(*) FROM webhook_attempts")).scalar()
    assert attempts == 1  # /held's failed attempt
    assert await stack.runtime.maintenance.run_once() == MaintenanceReport()


async def test_retention_purges_what_is_left_without_webhooks_and_zero_keeps_everything(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    keeping = await make_stack(clock, retention=timedelta(0))
    purging = await make_stack(clock)
    kept = await purging.client.register(receiver.url("/kept"))
    deleted = await purging.client.register(
        receiver.url("/deleted"),
        targetAuthorization={"authorizationType": "Basic", "username": "u", "password": "p"},
    )
    for n in range(3):
        await purging.client.publish(str(n))
    assert await purging.runtime.worker.deliver_due() == 6
    answer = await purging.client.http.delete(
        f"/api/webhook-registrations/{deleted['id']}", headers=purging.client.headers
    )
    assert answer.status_code == 204
    clock.advance(timedelta(days=31))

    assert await keeping.runtime.maintenance.run_once() == MaintenanceReport()
    report = await purging.runtime.maintenance.run_once()

    assert (report.purged_webhooks, report.purged_events, report.purged_registrations) == (6, 3, 1)
    assert (await purging.client.registration(kept["id"]))["isActive"] is True
    r, e, a = webhook_registrations, webhook_events, webhook_target_authorizations
    async with purging.runtime.db.read() as conn:
        for column in (r.c.id, e.c.registration_id, a.c.registration_id):
            left = await conn.scalar(select(func.count()).where(column == deleted["id"]))
            assert left == 0, column


async def test_concurrent_maintenance_jobs_pause_and_announce_each_registration_once(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stacks = [await make_stack(clock) for _ in range(3)]
    client = stacks[0].client
    await watch(client, receiver)
    failing = [await client.register(receiver.url(f"/down/{n}")) for n in range(4)]
    receiver.reply(*[Reply(500)] * 4)
    await client.publish("1")
    assert await stacks[0].runtime.worker.deliver_due() == 4
    clock.advance(timedelta(days=5, seconds=1))

    reports = await asyncio.gather(*(stack.runtime.maintenance.run_once() for stack in stacks))

    assert sum(report.failing for report in reports) == 4
    assert await stacks[0].runtime.worker.deliver_due() == 4
    assert sorted(a["entityId"] for a in announcements(receiver)) == sorted(r["id"] for r in failing)
