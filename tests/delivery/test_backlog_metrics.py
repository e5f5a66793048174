"""/metrics during a real backlog: the gauges read from the database by the maintenance job
(by the injected clock), and the opt-in per-registration attempt counters with their bound."""

from __future__ import annotations

from datetime import timedelta

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hookline.clock import FrozenClock
from hookline.runtime import Runtime
from hookline.store.webhooks import ClaimLimits, claim_due
from tests.conftest import Reply
from tests.delivery.conftest import Client, LiveReceiver, StackFactory

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: httpx.AsyncClient) -> Samples:
    """Every sample /metrics exposes, by name and labels."""
    response = await http.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def backlog_of(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["state"]: value
        for (name, labels), value in samples.items()
        if name == "hookline_webhooks_backlog"
    }


async def test_backlog_and_lag_gauges_show_what_the_database_holds(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(
        receiver.url("/failing"), enabledEvents=[{"entityName": "Process", "type": "Created"}]
    )
    receiver.reply_at("/failing", Reply(500))
    await client.publish(type=1)
    assert await runtime.worker.deliver_due() == 1  # fails: Retrying, due again in 5 minutes
    await client.register(receiver.url("/grouped"), shouldGroup=True)
    for _ in range(3):
        await client.publish()  # one group: the first is Created, the two behind it Pending
    clock.advance(timedelta(seconds=90))

    await runtime.maintenance.run_once()

    samples = await scrape(client.http)
    assert backlog_of(samples) == {"Created": 1, "Retrying": 1, "Pending": 2}
    assert samples[("hookline_delivery_lag_seconds", frozenset())] == 90.0

    receiver.reply_at("/grouped", Reply(500))
    assert await runtime.worker.deliver_due() == 1  # the group's first fails: the group waits
    await runtime.maintenance.run_once()

    samples = await scrape(client.http)
    assert backlog_of(samples) == {"Created": 0, "Retrying": 2, "Pending": 2}
    assert samples[("hookline_delivery_lag_seconds", frozenset())] == 0.0  # nothing is due
    clock.advance(timedelta(minutes=5))
    await runtime.maintenance.run_once()
    # Both retries are due now: the first failed 90 s before the second, so it waits 90 s.
    assert (await scrape(client.http))[("hookline_delivery_lag_seconds", frozenset())] == 90.0


async def test_per_registration_counters_stop_at_their_bound(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stack = await make_stack(clock, registration_metrics_limit=1)
    first = await stack.client.register(receiver.url("/first"))
    await stack.client.publish("1")
    assert await stack.runtime.worker.deliver_due() == 1
    before = await scrape(stack.client.http)
    second = await stack.client.register(
        receiver.url("/second"), enabledEvents=[{"entityName": "Unit", "type": "Created"}]
    )
    receiver.reply_at("/second", Reply(503))
    await stack.client.publish("2", entityName="Unit", type=1)
    assert await stack.runtime.worker.deliver_due() == 1

    after = await scrape(stack.client.http)

    def attempts(samples: Samples, registration_id: str, organization_id: str, outcome: str) -> float:
        labels = {"registration_id": registration_id, "organization_id": organization_id, "outcome": outcome}
        return samples.get(("hookline_registration_attempts_total", frozenset(labels.items())), 0.0)

    assert attempts(after, first["id"], "acme", "success") == 1
    assert attempts(after, first["id"], "acme", "failure") == 0
    # Past the bound of one registration: counted, but under `other`, never as a new series.
    assert attempts(after, "other", "other", "failure") - attempts(before, "other", "other", "failure") == 1
    assert not any(second["id"] in str(labels) for _, labels in after)


async def test_per_registration_counters_are_off_by_default(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    registration = await client.register(receiver.url())
    await client.publish()
    assert await runtime.worker.deliver_due() == 1
    samples = await scrape(client.http)
    assert not any(registration["id"] in str(labels) for _, labels in samples)
    assert ("hookline_attempts_total", frozenset({("outcome", "success")})) in samples


async def test_lag_leaves_out_webhooks_a_worker_holds_until_their_lease_expires(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    await client.register(receiver.url())
    await client.publish("1")
    clock.advance(timedelta(seconds=60))
    await client.publish("2")
    clock.advance(timedelta(seconds=30))
    async with runtime.db.write() as conn:  # a worker claims the older one: it is in flight
        claimed = await claim_due(
            conn,
            now=clock.now(),
            limits=ClaimLimits(total=1, per_registration=1),
            lease_until=clock.now() + timedelta(minutes=1),
            lease_token="lease_test",
        )
    assert [webhook.entity_id for webhook in claimed.webhooks] == ["1"]

    await runtime.maintenance.run_once()
    samples = await scrape(client.http)
    assert samples[("hookline_delivery_lag_seconds", frozenset())] == 30.0  # the unclaimed one
    assert backlog_of(samples)["Created"] == 2  # both still wait to be recorded

    clock.advance(timedelta(minutes=2))  # the worker died: its lease expired, the Webhook waits again
    await runtime.maintenance.run_once()
    assert (await scrape(client.http))[("hookline_delivery_lag_seconds", frozenset())] == 210.0
