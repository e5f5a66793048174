"""`maxRequestsPerSecond` holds across real `hookline worker` processes: two workers draw from the
one token bucket in the database, so the target never sees more than the ceiling plus its burst
in any one second (give or take one request's send delay), and the whole backlog takes as long
as the ceiling says. SQLite too: several worker processes share its one writer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from hookline.domain.throttle import burst_of
from hookline.runtime import Runtime
from tests.conftest import Receiver, serving
from tests.delivery.conftest import Client
from tests.scale.conftest import until_delivered, workers

RATE, WEBHOOKS = 20, 100

pytestmark = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


class TimedReceiver(Receiver):
    """The shared receiver, noting when each request arrived (monotonic seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived_at: list[float] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.arrived_at.append(time.monotonic())
        return await super().handle(request)


@pytest.fixture
async def timed_receiver() -> AsyncIterator[TimedReceiver]:
    async with serving(TimedReceiver()) as target:
        yield target


def busiest_second(arrivals: list[float]) -> int:
    """The most arrivals in any window of one second that starts at an arrival."""
    return max(sum(1 for later in arrivals if start <= later < start + 1) for start in arrivals)


async def test_two_workers_keep_to_the_ceiling_together(
    database_url: str, runtime: Runtime, client: Client, timed_receiver: TimedReceiver, tmp_path: Path
) -> None:
    async with workers(2, database_url, runtime, tmp_path, worker_concurrency="16"):
        await client.register(timed_receiver.url(), maxRequestsPerSecond=RATE)
        events = [
            {"organizationId": "acme", "entityName": "Process", "type": 2, "entityId": str(n)}
            for n in range(WEBHOOKS)
        ]
        answer = await client.http.post("/api/events/batch", headers=client.headers, json={"events": events})
        assert answer.status_code == 202, answer.text
        await until_delivered(runtime, WEBHOOKS)

    arrivals = sorted(timed_receiver.arrived_at)
    assert len(arrivals) == WEBHOOKS
    assert duplicates_of(timed_receiver) == {}
    # Debits keep to RATE + burst in any second; each request leaves a few ms after its debit
    # commits, and on a busy machine one of them may leave late enough to bunch with the next.
    assert busiest_second(arrivals) <= RATE + burst_of(RATE) + 1
    # The burst at once, then one every 1/RATE s: 4.9 s; late wake-ups may stretch it, never shorten it.
    ideal_s = (WEBHOOKS - burst_of(RATE)) / RATE
    assert ideal_s - 0.2 <= arrivals[-1] - arrivals[0] <= 2 * ideal_s


def duplicates_of(receiver: Receiver) -> dict[str, int]:
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    return {webhook_id: ids.count(webhook_id) for webhook_id in set(ids) if ids.count(webhook_id) > 1}
