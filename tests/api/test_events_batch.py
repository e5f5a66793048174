"""/api/events/batch: many events in one request, checked as a whole, answered in order."""

from __future__ import annotations

import json

import httpx

from hookline.runtime import Runtime
from tests.api.support import assert_problem, error_fields, register
from tests.conftest import Receiver

BATCH = "/api/events/batch"


def _event(entity_id: str, entity_name: str = "Process", **fields: object) -> dict[str, object]:
    return {"entityName": entity_name, "type": "Updated", "entityId": entity_id, **fields}


async def _webhook_count(api: httpx.AsyncClient, subscriber: dict[str, str]) -> int:
    answer = await api.get("/api/webhooks", headers=subscriber)
    assert answer.status_code == 200
    count: int = answer.json()["totalCount"]
    return count


async def test_a_batch_fans_out_each_event_and_answers_in_order(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    await register(api, subscriber, receiver.url())
    answer = await api.post(
        BATCH,
        headers=publisher,
        json={"events": [_event("1"), _event("2", "Tenant"), _event("3", data={"n": 3})]},
    )

    assert answer.status_code == 202, answer.text
    items = answer.json()["items"]
    assert [len(item["webhookIds"]) for item in items] == [1, 0, 1]
    assert len({item["eventId"] for item in items}) == 3
    assert await runtime.worker.deliver_due() == 2
    bodies = [json.loads(request.body) for request in receiver.requests]
    assert sorted(body["entityId"] for body in bodies) == ["1", "3"]
    assert {body["id"] for body in bodies} == {items[0]["webhookIds"][0], items[2]["webhookIds"][0]}


async def test_one_invalid_event_refuses_the_whole_batch(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    answer = await api.post(
        BATCH, headers=publisher, json={"events": [_event("1"), _event("2", "Spaceship"), _event("3")]}
    )

    assert_problem(answer, 422)
    assert error_fields(answer) == {"events[1].entityName"}
    assert await _webhook_count(api, subscriber) == 0


async def test_repeated_ids_answer_the_first_result_within_and_across_batches(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    events = [_event("1", id="evt-a"), _event("1", id="evt-a"), _event("2", id="evt-b")]
    first = (await api.post(BATCH, headers=publisher, json={"events": events})).json()["items"]
    again = (await api.post(BATCH, headers=publisher, json={"events": events})).json()["items"]

    assert first[0] == first[1]
    assert again == first
    assert await _webhook_count(api, subscriber) == 2


async def test_one_id_twice_with_different_content_in_a_batch_is_422_naming_both(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    events = [_event("1", id="evt-a"), _event("2", id="evt-b"), _event("1", id="evt-a", data={"n": 2})]

    answer = await api.post(BATCH, headers=publisher, json={"events": events})

    problem = assert_problem(answer, 422)
    assert error_fields(answer) == {"events[2].id"}
    assert "events[0] and events[2]" in problem["errors"][0]["message"]
    assert await _webhook_count(api, subscriber) == 0


async def test_a_batch_reusing_a_recorded_id_with_other_content_is_409_naming_the_item(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    await register(api, subscriber, "http://127.0.0.1/hook")
    first = await api.post("/api/events", headers=publisher, json=_event("1", id="evt-a"))
    events = [_event("2", id="evt-b"), _event("1", id="evt-a", data={"n": 2})]

    problem = assert_problem(await api.post(BATCH, headers=publisher, json={"events": events}), 409)

    assert problem["detail"].startswith("events[1]: ")
    assert problem["existingEventId"] == first.json()["eventId"]
    # the other event is recorded (each event is atomic on its own); resending it replays it
    again = await api.post(BATCH, headers=publisher, json={"events": events[:1]})
    assert again.status_code == 202
    assert await _webhook_count(api, subscriber) == 2


async def test_batch_bounds_roles_and_sizes(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str]
) -> None:
    assert_problem(await api.post(BATCH, headers=publisher, json={"events": []}), 422)
    too_many = {"events": [_event(str(n)) for n in range(501)]}
    assert_problem(await api.post(BATCH, headers=publisher, json=too_many), 422)
    assert_problem(await api.post(BATCH, headers=subscriber, json={"events": [_event("1")]}), 403)
    foreign = {"events": [_event("1"), _event("2", organizationId="globex")]}
    assert_problem(await api.post(BATCH, headers=publisher, json=foreign), 403)
    large = {"events": [_event("1"), _event("2", data={"blob": "x" * (256 * 1024)})]}
    problem = assert_problem(await api.post(BATCH, headers=publisher, json=large), 413)
    assert problem["detail"].startswith("events[1]")
    assert await _webhook_count(api, subscriber) == 0
