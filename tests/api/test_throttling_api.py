"""`maxRequestsPerSecond` through the API: set on create, changed and cleared by PATCH, shown in
every registration answer, and refused (422) outside 1..10000 or when not a whole number."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.support import error_fields, register, registration_body

TARGET = "http://127.0.0.1/hook"


async def test_the_ceiling_is_set_shown_changed_and_cleared(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    created = await register(api, subscriber, TARGET, maxRequestsPerSecond=20)
    assert created["maxRequestsPerSecond"] == 20
    path = f"/api/webhook-registrations/{created['id']}"
    assert (await api.get(path, headers=subscriber)).json()["maxRequestsPerSecond"] == 20
    listed = (await api.get("/api/webhook-registrations", headers=subscriber)).json()["items"]
    assert [item["maxRequestsPerSecond"] for item in listed] == [20]

    changed = await api.patch(path, headers=subscriber, json={"maxRequestsPerSecond": 10_000})
    assert changed.status_code == 200, changed.text
    assert changed.json()["maxRequestsPerSecond"] == 10_000
    untouched = await api.patch(path, headers=subscriber, json={"description": "kept"})
    assert untouched.json()["maxRequestsPerSecond"] == 10_000
    cleared = await api.patch(path, headers=subscriber, json={"maxRequestsPerSecond": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["maxRequestsPerSecond"] is None


async def test_without_a_ceiling_a_registration_is_unlimited(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    assert (await register(api, subscriber, TARGET))["maxRequestsPerSecond"] is None


@pytest.mark.parametrize("rate", [0, -5, 10_001, 1.5, "20", True, [20], {"rate": 20}])
async def test_a_ceiling_that_is_not_a_whole_number_from_1_to_10000_is_422(
    api: httpx.AsyncClient, subscriber: dict[str, str], rate: Any
) -> None:
    body = registration_body(TARGET, maxRequestsPerSecond=rate)
    answer = await api.post("/api/webhook-registrations", headers=subscriber, json=body)
    assert error_fields(answer) == {"maxRequestsPerSecond"}
    created = await register(api, subscriber, TARGET)
    path = f"/api/webhook-registrations/{created['id']}"
    answer = await api.patch(path, headers=subscriber, json={"maxRequestsPerSecond": rate})
    assert error_fields(answer) == {"maxRequestsPerSecond"}
    assert (await api.get(path, headers=subscriber)).json()["maxRequestsPerSecond"] is None
