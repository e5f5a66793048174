"""Subscriptions that fit: `*` for every entity or type, and filters on the event's `data`,
through the API to real receivers (README "Choosing events")."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from hookline.runtime import Runtime
from tests.api.support import assert_problem, error_fields, publish, register
from tests.conftest import Receiver, Reply, serving

REGISTRATIONS = "/api/webhook-registrations"


async def deliver_all(runtime: Runtime) -> int:
    delivered = 0
    while made := await runtime.worker.deliver_due():
        delivered += made
    return delivered


def arrived(receiver: Receiver) -> list[tuple[str, int, str]]:
    """(entityName, type, entityId) of every request, in order."""
    bodies = [json.loads(request.body) for request in receiver.requests]
    return [(body["entityName"], body["type"], body["entityId"]) for body in bodies]


async def publish_each(
    api: httpx.AsyncClient, publisher: dict[str, str], *events: tuple[str, int, str]
) -> None:
    for entity_name, kind, entity_id in events:
        await publish(api, publisher, entity_name, kind, entity_id)


async def test_every_entity_of_one_type(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    created = await register(api, subscriber, receiver.url(), {"entityName": "*", "type": "Updated"})
    assert [(e["entityName"], e["type"], e["filter"]) for e in created["enabledEvents"]] == [("*", 2, None)]

    await publish_each(
        api, publisher, ("Process", 2, "1"), ("Tenant", 2, "2"), ("Process", 1, "3"), ("Unit", 3, "4")
    )
    assert await deliver_all(runtime) == 2
    assert arrived(receiver) == [("Process", 2, "1"), ("Tenant", 2, "2")]


async def test_every_type_of_one_entity_relation_types_included(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    created = await register(api, subscriber, receiver.url(), {"entityName": "process", "type": "*"})
    assert [(e["entityName"], e["type"]) for e in created["enabledEvents"]] == [("Process", "*")]

    await publish_each(api, publisher, ("Process", 1, "1"), ("Tenant", 1, "2"), ("Process", 3, "3"))
    await publish(api, publisher, "Process", 5, "4", relation={"name": "units", "ids": ["u1"]})
    assert await deliver_all(runtime) == 3
    assert arrived(receiver) == [("Process", 1, "1"), ("Process", 3, "3"), ("Process", 5, "4")]


async def test_everything_leaves_out_hooklines_own_entities_which_are_named_explicitly(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    everything = await register(api, subscriber, receiver.url("/all"), {"entityName": "*", "type": "*"})
    failures = await register(
        api,
        subscriber,
        receiver.url("/failures"),
        {"entityName": "Webhook", "type": "*", "filter": {"state": 4}},
    )
    async with serving(Receiver()) as down:
        down.default = Reply(500, "down")
        failing = await register(
            api, subscriber, down.url(), {"entityName": "Tenant", "type": 1}, retrySchedule=[]
        )
        await publish_each(api, publisher, ("Tenant", 1, "t1"), ("Account", 3, "a1"))
        assert await deliver_all(runtime) == 4  # the failing one, its announcement, and two to "everything"

    by_path = {request.path: [] for request in receiver.requests}
    for request in receiver.requests:
        by_path[request.path].append(json.loads(request.body))
    assert [(b["entityName"], b["entityId"]) for b in by_path["/all"]] == [
        ("Tenant", "t1"),
        ("Account", "a1"),
    ]
    [announcement] = by_path["/failures"]
    assert announcement["entityName"] == "Webhook"
    assert announcement["data"]["registrationId"] == failing["id"]
    assert {b["registrationId"] for b in by_path["/all"]} == {everything["id"]}
    assert failures["enabledEvents"][0]["filter"] == {"state": 4}


async def test_a_filter_sends_only_events_whose_data_matches(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    created = await register(
        api,
        subscriber,
        receiver.url(),
        {
            "entityName": "Process",
            "type": "Updated",
            "filter": {"status": ["done", "failed"], "priority": 1.0},
        },
    )
    assert created["enabledEvents"][0]["filter"] == {"priority": 1, "status": ["done", "failed"]}

    cases: list[tuple[str, Any, bool]] = [
        ("equal", {"status": "done", "priority": 1}, True),
        ("one of the list", {"status": "failed", "priority": 1.0, "other": {"x": 1}}, True),
        ("another value", {"status": "open", "priority": 1}, False),
        ("true is not 1", {"status": "done", "priority": True}, False),
        ("a string is not a number", {"status": "done", "priority": "1"}, False),
        ("a key missing", {"status": "done"}, False),
        ("no data", None, False),
        ("data not an object", ["done", 1], False),
    ]
    for entity_id, data, expected in cases:
        answer = await publish(api, publisher, "Process", 2, entity_id, data=data)
        assert (len(answer["webhookIds"]) == 1) is expected, entity_id

    assert await deliver_all(runtime) == 2
    assert [entity_id for _, _, entity_id in arrived(receiver)] == ["equal", "one of the list"]
    listed = await api.get("/api/webhooks", headers=subscriber)
    assert listed.json()["totalCount"] == 2  # a non-matching event made no Webhook at all


async def test_null_matches_an_explicit_null_but_not_a_missing_key(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    await register(
        api, subscriber, receiver.url(), {"entityName": "Process", "type": 2, "filter": {"owner": None}}
    )
    assert len((await publish(api, publisher, "Process", 2, "null", data={"owner": None}))["webhookIds"]) == 1
    assert (await publish(api, publisher, "Process", 2, "missing", data={"other": None}))["webhookIds"] == []
    assert (await publish(api, publisher, "Process", 2, "false", data={"owner": False}))["webhookIds"] == []


async def test_a_batch_applies_each_events_filter_and_one_webhook_per_registration(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    """Overlapping entries of one registration make one Webhook, of the most specific entry."""
    created = await register(
        api,
        subscriber,
        receiver.url(),
        {"entityName": "*", "type": "*"},
        {"entityName": "Process", "type": "Updated", "filter": {"status": "done"}},
        {"entityName": "Process", "type": "*"},
    )
    entry_of = {(e["entityName"], e["type"]): e["id"] for e in created["enabledEvents"]}
    events = [
        {"entityName": "Process", "type": 2, "entityId": "done", "data": {"status": "done"}},
        {"entityName": "Process", "type": 2, "entityId": "open", "data": {"status": "open"}},
        {"entityName": "Tenant", "type": 1, "entityId": "t"},
    ]
    answer = await api.post("/api/events/batch", headers=publisher, json={"events": events})
    assert answer.status_code == 202, answer.text
    ids = [item["webhookIds"] for item in answer.json()["items"]]
    assert [len(found) for found in ids] == [1, 1, 1]

    entries = []
    for [webhook_id] in ids:
        found = await api.get(f"/api/webhooks/{webhook_id}", headers=subscriber)
        entries.append(found.json()["webhookEventId"])
    assert entries == [entry_of[("Process", 2)], entry_of[("Process", "*")], entry_of[("*", "*")]]
    assert await deliver_all(runtime) == 3


async def test_a_filter_change_applies_to_the_next_events(
    api: httpx.AsyncClient,
    runtime: Runtime,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
) -> None:
    created = await register(
        api, subscriber, receiver.url(), {"entityName": "Process", "type": 2, "filter": {"n": 1}}
    )
    changed = await api.patch(
        f"{REGISTRATIONS}/{created['id']}",
        headers=subscriber,
        json={"enabledEvents": [{"entityName": "Process", "type": 2, "filter": {"n": 2}}]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabledEvents"][0]["id"] == created["enabledEvents"][0]["id"]
    assert changed.json()["enabledEvents"][0]["filter"] == {"n": 2}
    assert (await publish(api, publisher, "Process", 2, "1", data={"n": 1}))["webhookIds"] == []
    assert len((await publish(api, publisher, "Process", 2, "2", data={"n": 2}))["webhookIds"]) == 1
    cleared = await api.patch(
        f"{REGISTRATIONS}/{created['id']}",
        headers=subscriber,
        json={"targetUrl": receiver.url("/other")},  # entries left out: kept, filter and all
    )
    assert cleared.json()["enabledEvents"][0]["filter"] == {"n": 2}


async def test_the_same_set_spelled_differently_is_a_duplicate_a_different_filter_is_not(
    api: httpx.AsyncClient, subscriber: dict[str, str], receiver: Receiver
) -> None:
    first = await register(
        api, subscriber, receiver.url(), {"entityName": "*", "type": "*"},
        {"entityName": "Process", "type": 2, "filter": {"status": ["a", "b"], "n": 1}},
    )  # fmt: skip
    respelled = {
        "targetUrl": receiver.url(),
        "enabledEvents": [
            {"entityName": "process", "type": "updated", "filter": {"n": 1.0, "status": ["b", "a", "b"]}},
            {"entityName": "*", "type": "*", "filter": {}},
        ],
    }
    answer = await api.post(REGISTRATIONS, headers=subscriber, json=respelled)
    assert_problem(answer, 409)
    assert answer.json()["existingId"] == first["id"]

    respelled["enabledEvents"][0]["filter"] = {"n": 1, "status": ["a"]}
    assert (await api.post(REGISTRATIONS, headers=subscriber, json=respelled)).status_code == 201


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"entityName": "Process", "type": 2, "filter": {"a": {"b": 1}}}, "enabledEvents[0].filter.a"),
        ({"entityName": "Process", "type": 2, "filter": {"a": []}}, "enabledEvents[0].filter.a"),
        ({"entityName": "Process", "type": 2, "filter": {"a": [1, [2]]}}, "enabledEvents[0].filter.a[1]"),
        (
            {"entityName": "Process", "type": 2, "filter": {f"k{i}": 1 for i in range(21)}},
            "enabledEvents[0].filter",
        ),
        (
            {"entityName": "Process", "type": 2, "filter": {"a": list(range(101))}},
            "enabledEvents[0].filter.a",
        ),
        ({"entityName": "Process", "type": 2, "filter": {"a": "x" * 1001}}, "enabledEvents[0].filter.a"),
        ({"entityName": "Process", "type": 2, "filter": {"": 1}}, "enabledEvents[0].filter"),
        ({"entityName": "Process", "type": 2, "filter": {"a": "\u0000"}}, "enabledEvents[0].filter"),
        ({"entityName": "Process", "type": 2, "filter": ["a"]}, "enabledEvents[0].filter"),
        ({"entityName": "Process", "type": 2, "filter": "a"}, "enabledEvents[0].filter"),
        ({"entityName": "**", "type": 2}, "enabledEvents[0].entityName"),
        ({"entityName": "Process", "type": "**"}, "enabledEvents[0].type"),
        ({"entityName": "Process", "type": None}, "enabledEvents[0].type"),
    ],
)
async def test_refused_entries_name_their_field(
    api: httpx.AsyncClient, subscriber: dict[str, str], entry: dict[str, Any], field: str
) -> None:
    answer = await api.post(
        REGISTRATIONS,
        headers=subscriber,
        json={"targetUrl": "http://127.0.0.1/hook", "enabledEvents": [entry]},
    )
    assert_problem(answer, 422)
    assert any(f == field or f.startswith(field + ".") for f in error_fields(answer)), answer.text
    assert (await api.get(REGISTRATIONS, headers=subscriber)).json()["totalCount"] == 0


async def test_a_pair_given_twice_is_refused_even_with_different_filters(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    entries = [{"entityName": "*", "type": 2, "filter": {"a": 1}}, {"entityName": "*", "type": "Updated"}]
    answer = await api.post(
        REGISTRATIONS,
        headers=subscriber,
        json={"targetUrl": "http://127.0.0.1/hook", "enabledEvents": entries},
    )
    assert_problem(answer, 422)
    assert error_fields(answer) == {"enabledEvents[1]"}


async def test_searching_registrations_by_entity_finds_the_wildcard_ones(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    every = await register(api, subscriber, "http://127.0.0.1/every", {"entityName": "*", "type": "*"})
    await register(api, subscriber, "http://127.0.0.1/tenant", {"entityName": "Tenant", "type": 1})
    found = await api.post(
        f"{REGISTRATIONS}/search", headers=subscriber, json={"entityName": "Process", "type": 4}
    )
    assert [r["id"] for r in found.json()["items"]] == [every["id"]]
    own = await api.post(f"{REGISTRATIONS}/search", headers=subscriber, json={"entityName": "Webhook"})
    assert own.json()["items"] == []
