"""`Idempotency-Key` on POST /api/webhook-registrations: retries are safe, misuse is a 409."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from hookline.clock import FrozenClock
from tests.api.support import assert_problem, registration_body

URL = "/api/webhook-registrations"


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return headers | {"Idempotency-Key": key}


async def _count(api: httpx.AsyncClient, headers: dict[str, str]) -> int:
    total: int = (await api.get(URL, headers=headers)).json()["totalCount"]
    return total


async def test_a_retry_answers_the_first_registration_and_creates_nothing(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    body = registration_body("http://127.0.0.1:9/hook")
    first = await api.post(URL, headers=_keyed(subscriber, "create-1"), json=body)
    again = await api.post(URL, headers=_keyed(subscriber, "create-1"), json=body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.json()["signingSecret"].startswith("whsec_")
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _count(api, subscriber) == 1


async def test_concurrent_retries_create_one_registration(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    body = registration_body("http://127.0.0.1:9/hook")
    answers = await asyncio.gather(
        *(api.post(URL, headers=_keyed(subscriber, "racing"), json=body) for _ in range(4))
    )
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert await _count(api, subscriber) == 1


async def test_the_key_with_another_request_or_after_a_day_is_a_conflict(
    api: httpx.AsyncClient, subscriber: dict[str, str], clock: FrozenClock
) -> None:
    await api.post(URL, headers=_keyed(subscriber, "k"), json=registration_body("http://127.0.0.1:9/a"))

    other = await api.post(
        URL, headers=_keyed(subscriber, "k"), json=registration_body("http://127.0.0.1:9/b")
    )
    assert "different request" in assert_problem(other, 409)["detail"]

    clock.advance(timedelta(hours=24, seconds=1))
    late = await api.post(
        URL, headers=_keyed(subscriber, "k"), json=registration_body("http://127.0.0.1:9/a")
    )
    assert "24 hours" in assert_problem(late, 409)["detail"]
    assert await _count(api, subscriber) == 1


async def test_keys_belong_to_one_organization(
    api: httpx.AsyncClient, subscriber: dict[str, str], other_subscriber: dict[str, str]
) -> None:
    body = registration_body("http://127.0.0.1:9/hook")
    mine = await api.post(URL, headers=_keyed(subscriber, "shared"), json=body)
    theirs = await api.post(URL, headers=_keyed(other_subscriber, "shared"), json=body)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers


async def test_an_over_long_key_is_refused(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    body = registration_body("http://127.0.0.1:9/hook")
    assert_problem(await api.post(URL, headers=_keyed(subscriber, "k" * 201), json=body), 422)
    assert await _count(api, subscriber) == 0
