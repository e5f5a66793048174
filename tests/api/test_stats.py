"""Health figures: GET /api/webhook-registrations/{id}/stats and GET /api/stats, from real
deliveries, with percentiles checked against known durations on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from hookline.clock import FrozenClock
from hookline.domain.records import Attempt
from hookline.runtime import Runtime
from hookline.store.attempts import insert_attempts
from tests.api.support import assert_problem, error_fields, publish, register
from tests.conftest import START, Receiver, Reply


def _nearest_rank(values: list[int], fraction: float) -> int:
    ordered = sorted(values)
    rank = next(k for k in range(1, len(ordered) + 1) if k / len(ordered) >= fraction)
    return ordered[rank - 1]


async def _stats(
    api: httpx.AsyncClient, headers: dict[str, str], registration_id: str, window: str = "24h"
) -> dict:
    response = await api.get(
        f"/api/webhook-registrations/{registration_id}/stats?window={window}", headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


async def test_a_registrations_figures_come_from_its_attempts(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    registration = await register(api, subscriber, receiver.url())
    receiver.reply(Reply(200), Reply(200), Reply(500, "boom"))
    for entity_id in ("1", "2", "3"):
        await publish(api, publisher, entity_id=entity_id)
    assert await runtime.worker.deliver_due() == 3
    other = await register(api, subscriber, receiver.url("/other"))
    clock.advance(timedelta(hours=2))
    body = await _stats(api, subscriber, registration["id"])

    attempts = (
        await api.get("/api/webhooks", params={"registrationId": registration["id"]}, headers=subscriber)
    ).json()
    assert body["window"] == "24h"
    assert body["until"] == "2026-01-05T15:00:00Z"  # the end of the current hour
    assert body["since"] == "2026-01-04T15:00:00Z"
    assert len(body["series"]) == 24
    assert (body["attempts"], body["successes"], body["failures"]) == (3, 2, 1)
    assert body["successRate"] == 2 / 3
    at_start = [point for point in body["series"] if point["start"] == "2026-01-05T12:00:00Z"]
    assert [(p["successes"], p["failures"]) for p in at_start] == [(2, 1)]
    assert sum(p["successes"] + p["failures"] for p in body["series"]) == 3
    assert body["backlog"] == {"created": 0, "retrying": 1, "pending": 0}
    failed = [w for w in attempts["items"] if w["state"] == 2]
    assert body["lastFailure"]["webhookId"] == failed[0]["id"]
    assert body["lastFailure"]["responseStatus"] == 500
    assert body["lastFailure"]["attemptNumber"] == 1
    assert body["lastFailure"]["at"] == "2026-01-05T12:00:00Z"
    durations = []
    for item in attempts["items"]:
        listed = await api.get(f"/api/webhooks/{item['id']}/webhook-attempts", headers=subscriber)
        durations += [attempt["durationMs"] for attempt in listed.json()["items"]]
    assert body["p50DurationMs"] == _nearest_rank(durations, 0.5)
    assert body["p95DurationMs"] == _nearest_rank(durations, 0.95)
    assert (await _stats(api, subscriber, other["id"]))["attempts"] == 0


async def _attempts_with_durations(
    runtime: Runtime,
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    target: str,
    durations: list[int],
    started_at: datetime,
) -> str:
    """One Webhook of a new registration with one recorded attempt per duration (the worker's
    own insert), all failed but the first."""
    registration = await register(api, subscriber, target)
    await publish(api, publisher, entity_id=target)
    listed = await api.get("/api/webhooks", params={"registrationId": registration["id"]}, headers=subscriber)
    [webhook_id] = [item["id"] for item in listed.json()["items"]]
    attempts = [
        Attempt(
            id=f"att_{target}_{number}", webhook_id=webhook_id, registration_id=registration["id"],
            organization_id="acme", attempt_number=number, started_at=started_at + timedelta(seconds=number),
            duration_ms=duration, response_status=200 if number == 1 else 503, response_body=None,
            error=None, succeeded=number == 1, request_headers={}, response_headers={},
        )
        for number, duration in enumerate(durations, start=1)
    ]  # fmt: skip
    async with runtime.db.write() as conn:
        await insert_attempts(conn, attempts)
    return str(registration["id"])


async def test_percentiles_are_nearest_rank_on_both_databases(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], runtime: Runtime
) -> None:
    durations = [700, 5, 90, 20, 1000, 15, 30, 60, 10, 40, 80, 25, 50, 35, 70, 45, 65, 55, 85, 75]
    registration_id = await _attempts_with_durations(
        runtime, api, subscriber, publisher, "http://127.0.0.1:9/p", durations, START
    )
    body = await _stats(api, subscriber, registration_id)
    assert body["attempts"] == 20
    assert body["p50DurationMs"] == 50 == _nearest_rank(durations, 0.5)
    assert body["p95DurationMs"] == 700 == _nearest_rank(durations, 0.95)
    [hour] = [point for point in body["series"] if point["successes"] + point["failures"]]
    assert hour["meanDurationMs"] == round(sum(durations) / 20)
    assert hour["maxDurationMs"] == 1000


async def test_the_window_holds_whole_hours_ending_with_the_current_one(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    clock: FrozenClock,
) -> None:
    clock.set(START + timedelta(days=3, minutes=30))  # 2026-01-08 12:30
    day_ago = START + timedelta(days=2, hours=1)  # 2026-01-07 13:00, the 24h window's first hour
    registration_id = await _attempts_with_durations(
        runtime,
        api,
        subscriber,
        publisher,
        "http://127.0.0.1:9/w",
        [10, 20, 30],
        day_ago - timedelta(seconds=2),
    )  # started 1 s before, at and 1 s after the window's start
    day = await _stats(api, subscriber, registration_id, "24h")
    assert day["since"] == "2026-01-07T13:00:00Z"
    assert (day["attempts"], day["series"][0]["failures"]) == (2, 2)
    assert day["lastFailure"]["attemptNumber"] == 3
    week = await _stats(api, subscriber, registration_id, "7d")
    assert len(week["series"]) == 168
    assert (week["attempts"], week["successes"]) == (3, 1)


async def test_bad_windows_and_other_organizations_are_refused(
    api: httpx.AsyncClient, subscriber: dict[str, str], other_subscriber: dict[str, str], receiver: Receiver
) -> None:
    registration = await register(api, subscriber, receiver.url())
    for bad in ("1h", "", "30d", "24H"):
        response = await api.get(
            f"/api/webhook-registrations/{registration['id']}/stats?window={bad}", headers=subscriber
        )
        assert error_fields(response) == {"window"}
        overview = await api.get(f"/api/stats?window={bad}", headers=subscriber)
        assert error_fields(overview) == {"window"}
    hidden = await api.get(f"/api/webhook-registrations/{registration['id']}/stats", headers=other_subscriber)
    assert_problem(hidden, 404)
    assert_problem(await api.get("/api/webhook-registrations/reg_nope/stats", headers=subscriber), 404)
    assert error_fields(await api.get("/api/stats?top=0", headers=subscriber)) == {"top"}
    assert_problem(await api.get("/api/stats?organizationId=acme", headers=other_subscriber), 403)


async def test_the_overview_counts_the_organizations_deliveries_and_names_the_most_failing(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_subscriber: dict[str, str],
    admin: dict[str, str],
    runtime: Runtime,
) -> None:
    worst = await _attempts_with_durations(
        runtime, api, subscriber, publisher, "http://127.0.0.1:9/a", [1, 2, 3, 4], START
    )
    better = await _attempts_with_durations(
        runtime, api, subscriber, publisher, "http://127.0.0.1:9/b", [1, 2], START
    )
    healthy = await _attempts_with_durations(
        runtime, api, subscriber, publisher, "http://127.0.0.1:9/c", [1], START
    )

    response = await api.get("/api/stats", headers=subscriber)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["attempts"], body["successes"], body["failures"]) == (7, 3, 4)
    assert body["backlog"] == {
        "created": 1 + 2 + 3,
        "retrying": 0,
        "pending": 0,
    }  # publishes match all before
    failing = body["failingRegistrations"]
    assert [(f["registrationId"], f["attempts"], f["failures"]) for f in failing] == [
        (worst, 4, 3),
        (better, 2, 1),
    ]
    assert failing[0]["lastFailureAt"] == "2026-01-05T12:00:04Z"
    assert failing[0]["targetUrl"] == "http://127.0.0.1:9/a"
    assert healthy not in {f["registrationId"] for f in failing}
    assert (await api.get("/api/stats?top=1", headers=subscriber)).json()["failingRegistrations"][0][
        "registrationId"
    ] == worst

    elsewhere = (await api.get("/api/stats", headers=other_subscriber)).json()
    assert (elsewhere["attempts"], elsewhere["failingRegistrations"]) == (0, [])
    everyone = (await api.get("/api/stats", headers=admin)).json()
    assert everyone["attempts"] == 7
    narrowed = (await api.get("/api/stats?organizationId=globex", headers=admin)).json()
    assert narrowed["attempts"] == 0
