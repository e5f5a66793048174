"""Groups you can unblock: a Pending Webhook names the Webhook that holds its group back, and a
registration lists its blocked groups with theirs."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from hookline.config import Settings
from hookline.domain.retry import RetryPolicy
from hookline.runtime import Runtime
from tests.api.support import assert_page, assert_problem, publish, register, webhook
from tests.conftest import Receiver, Reply


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One attempt per Webhook: a failing target leaves a Failed Webhook at its group's head."""
    return replace(settings, retry_policy=RetryPolicy.parse(""))


async def test_a_pending_webhook_names_its_blocker_and_the_registration_lists_its_groups(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    other_subscriber: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(500)
    registration = await register(api, subscriber, receiver.url(), shouldGroup=True)
    first = [(await publish(api, publisher, entity_id="42"))["webhookIds"][0] for _ in range(3)]
    second = [(await publish(api, publisher, entity_id="43"))["webhookIds"][0] for _ in range(2)]
    assert await runtime.worker.deliver_due() == 2  # each group's head, which fails
    head = await webhook(api, subscriber, first[0])
    assert (head["state"], head["blockedBy"]) == (4, None)
    for waiting in first[1:]:
        found = await webhook(api, subscriber, waiting)
        assert found["state"] == 6
        assert found["blockedBy"]["id"] == first[0]
        assert found["blockedBy"]["state"] == 4

    path = f"/api/webhook-registrations/{registration['id']}/blocked-groups"
    response = await api.get(path, headers=subscriber)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_page(body, page_number=1, page_size=50, total_count=2, items=2)
    assert [(g["groupKey"], g["pending"], g["blockedBy"]["id"]) for g in body["items"]] == [
        ("Process:42", 2, first[0]),
        ("Process:43", 1, second[0]),
    ]
    assert body["items"][0]["oldestPendingAt"] == head["createdAt"]
    paged = (await api.get(path, params={"pageSize": 1, "pageNumber": 2}, headers=subscriber)).json()
    assert [g["groupKey"] for g in paged["items"]] == ["Process:43"]

    # Resolving the head lets the next one go: now that one (Created) holds the last back.
    await api.post(f"/api/webhooks/{first[0]}/resolve", headers=subscriber)
    groups = (await api.get(path, headers=subscriber)).json()["items"]
    assert [(g["groupKey"], g["pending"], g["blockedBy"]["id"], g["blockedBy"]["state"]) for g in groups] == [
        ("Process:42", 1, first[1], 1),
        ("Process:43", 1, second[0], 4),
    ]
    assert (await webhook(api, subscriber, first[2]))["blockedBy"]["id"] == first[1]

    assert_problem(await api.get(path, headers=other_subscriber), 404)
    assert_problem(
        await api.get("/api/webhook-registrations/reg_nope/blocked-groups", headers=subscriber), 404
    )


async def test_webhooks_of_an_ungrouped_registration_are_never_blocked(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    receiver.default = Reply(500)
    registration = await register(api, subscriber, receiver.url())
    ids = [(await publish(api, publisher, entity_id="42"))["webhookIds"][0] for _ in range(2)]
    assert await runtime.worker.deliver_due() == 2
    assert [(await webhook(api, subscriber, i))["blockedBy"] for i in ids] == [None, None]
    groups = await api.get(
        f"/api/webhook-registrations/{registration['id']}/blocked-groups", headers=subscriber
    )
    assert groups.json()["totalCount"] == 0


async def test_a_paused_registrations_groups_wait_for_the_resume_not_for_each_other(
    api: httpx.AsyncClient, subscriber: dict[str, str], publisher: dict[str, str], receiver: Receiver
) -> None:
    registration = await register(api, subscriber, receiver.url(), shouldGroup=True)
    path = f"/api/webhook-registrations/{registration['id']}"
    await api.patch(path, json={"isPaused": True}, headers=subscriber)
    ids = [(await publish(api, publisher, entity_id="42"))["webhookIds"][0] for _ in range(2)]
    assert [(await webhook(api, subscriber, i))["state"] for i in ids] == [6, 6]
    assert [(await webhook(api, subscriber, i))["blockedBy"] for i in ids] == [None, None]
    [group] = (await api.get(f"{path}/blocked-groups", headers=subscriber)).json()["items"]
    assert (group["groupKey"], group["pending"], group["blockedBy"]) == ("Process:42", 2, None)
