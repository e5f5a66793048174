"""GET /api/entities: per entity and type, events published and Webhooks succeeded in 7 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from tests.api.support import publish, register
from tests.conftest import Receiver, make_key


def _coverage(answer: httpx.Response) -> dict[tuple[str, int], tuple[int, int]]:
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return {
        (item["entityName"], row["type"]): (row["eventsPublished"], row["webhooksSucceeded"])
        for item in items
        for row in item["last7Days"]
    }


async def test_coverage_counts_the_callers_organization_over_seven_days(
    api: httpx.AsyncClient,
    runtime: Runtime,
    admin: dict[str, str],
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    await register(api, subscriber, receiver.url())  # Process Updated
    await publish(api, publisher, "Process", 2, "1")
    await publish(api, publisher, "Process", 2, "2")
    await publish(api, publisher, "Tenant", 1, "3")
    await publish(api, await make_key(runtime, "globex", "publisher"), "Process", 2, "4")
    assert await runtime.worker.deliver_due() == 2

    mine = _coverage(await api.get("/api/entities", headers=subscriber))
    assert len(mine) == (24 + 2) * 6  # with hookline's own Webhook and WebhookRegistration
    assert mine[("Process", 2)] == (2, 2)
    assert mine[("Tenant", 1)] == (1, 0)
    assert mine[("Account", 3)] == (0, 0)
    assert _coverage(await api.get("/api/entities", headers=admin))[("Process", 2)] == (3, 2)
    assert _coverage(await api.get("/api/entities?organizationId=globex", headers=admin))[("Process", 2)] == (
        1,
        0,
    )

    clock.advance(timedelta(days=7, seconds=1))
    assert set(_coverage(await api.get("/api/entities", headers=subscriber)).values()) == {(0, 0)}
