"""Traces of publish, fan-out and every attempt (the SDK's in-memory exporter shows their
structure), and the publisher's `traceparent` continued into each attempt's request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.runtime import Runtime
from hookline.tracing import Tracing, valid_traceparent
from tests.conftest import ADMIN_KEY, Reply, asgi_client, bearer
from tests.delivery.conftest import Client, LiveReceiver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PUBLISHER_SPAN = "00f067aa0ba902b7"
PUBLISHER = f"00-{TRACE_ID}-{PUBLISHER_SPAN}-01"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exported = InMemorySpanExporter()
    yield exported
    exported.shutdown()


@pytest.fixture
async def traced(
    settings: Settings, clock: FrozenClock, exporter: InMemorySpanExporter
) -> AsyncIterator[tuple[Runtime, Client]]:
    """A runtime tracing into memory (as OTEL_EXPORTER_OTLP_ENDPOINT would, minus the network)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runtime = Runtime(settings, clock, tracing=Tracing(provider))
    await runtime.start(run_worker=False)
    try:
        async with asgi_client(runtime) as http:
            yield runtime, Client(http, bearer(ADMIN_KEY))
    finally:
        await runtime.stop()


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


async def publish_traced(client: Client, traceparent: str | None, **fields: object) -> str:
    headers = client.headers | ({"traceparent": traceparent} if traceparent else {})
    body = {"organizationId": "acme", "entityName": "Process", "type": 2, "entityId": "42"} | fields
    answer = await client.http.post("/api/events", headers=headers, json=body)
    assert answer.status_code == 202, answer.text
    [webhook_id] = answer.json()["webhookIds"]
    return str(webhook_id)


async def test_each_attempt_continues_the_publishers_trace(
    traced: tuple[Runtime, Client], receiver: LiveReceiver, exporter: InMemorySpanExporter, clock: FrozenClock
) -> None:
    runtime, client = traced
    registration = await client.register(receiver.url())
    receiver.reply(Reply(500))
    webhook_id = await publish_traced(client, PUBLISHER)
    assert await runtime.worker.deliver_due() == 1
    clock.advance(timedelta(minutes=5))
    assert await runtime.worker.deliver_due() == 1  # the retry, later (in production: hours, elsewhere)

    spans = exporter.get_finished_spans()
    [publish], [fan_out] = by_name(spans, "hookline.publish"), by_name(spans, "hookline.fan_out")
    attempts = by_name(spans, "hookline.attempt")
    assert len(attempts) == 2
    assert {format(span.context.trace_id, "032x") for span in spans} == {TRACE_ID}
    # publisher -> publish -> fan-out -> each attempt
    assert publish.kind is SpanKind.SERVER
    assert publish.parent is not None and format(publish.parent.span_id, "016x") == PUBLISHER_SPAN
    assert fan_out.parent is not None and fan_out.parent.span_id == publish.context.span_id
    assert fan_out.attributes is not None and fan_out.attributes["hookline.webhooks"] == 1
    for number, attempt in enumerate(attempts, start=1):
        assert attempt.kind is SpanKind.CLIENT
        assert attempt.parent is not None and attempt.parent.span_id == fan_out.context.span_id
        assert attempt.attributes is not None
        assert attempt.attributes["hookline.webhook.id"] == webhook_id
        assert attempt.attributes["hookline.registration.id"] == registration["id"]
        assert attempt.attributes["hookline.attempt.number"] == number
        assert attempt.attributes["server.address"] == "127.0.0.1"
    assert attempts[0].attributes is not None and attempts[0].attributes["http.response.status_code"] == 500
    assert attempts[0].status.status_code is StatusCode.ERROR
    assert attempts[1].status.status_code is StatusCode.UNSET
    # Each request names its own attempt's span as the parent, in the publisher's trace.
    sent = [request.headers["traceparent"] for request in receiver.requests]
    assert sent == [f"00-{TRACE_ID}-{format(a.context.span_id, '016x')}-01" for a in attempts]


async def test_without_a_traceparent_the_publish_starts_a_trace_its_attempts_join(
    traced: tuple[Runtime, Client], receiver: LiveReceiver, exporter: InMemorySpanExporter
) -> None:
    runtime, client = traced
    await client.register(receiver.url())
    await publish_traced(client, None)
    assert await runtime.worker.deliver_due() == 1

    spans = exporter.get_finished_spans()
    [publish] = by_name(spans, "hookline.publish")
    assert publish.parent is None
    assert len({span.context.trace_id for span in spans}) == 1
    [request] = receiver.requests
    assert request.headers["traceparent"].split("-")[1] == format(publish.context.trace_id, "032x")


async def test_a_batch_shares_one_publish_span_with_a_fan_out_per_event(
    traced: tuple[Runtime, Client], receiver: LiveReceiver, exporter: InMemorySpanExporter
) -> None:
    runtime, client = traced
    await client.register(receiver.url())
    events = [
        {"organizationId": "acme", "entityName": "Process", "type": 2, "entityId": str(i)} for i in range(3)
    ]
    answer = await client.http.post(
        "/api/events/batch", headers=client.headers | {"traceparent": PUBLISHER}, json={"events": events}
    )
    assert answer.status_code == 202, answer.text
    assert await runtime.worker.deliver_due() == 3

    spans = exporter.get_finished_spans()
    [publish] = by_name(spans, "hookline.publish")
    fan_outs = by_name(spans, "hookline.fan_out")
    assert len(fan_outs) == 3
    assert all(
        span.parent is not None and span.parent.span_id == publish.context.span_id for span in fan_outs
    )
    assert {request.headers["traceparent"].split("-")[1] for request in receiver.requests} == {TRACE_ID}


async def test_untraced_the_publishers_traceparent_is_handed_on_as_it_came(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    assert not runtime.tracing.enabled  # no OTEL_EXPORTER_OTLP_ENDPOINT in the test environment
    await client.register(receiver.url())
    await publish_traced(client, PUBLISHER, entityId="1")
    await publish_traced(client, None, entityId="2")
    await publish_traced(client, "00-not-a-trace-context", entityId="3")  # ignored, never refused
    assert await runtime.worker.deliver_due() == 3

    by_entity = {request.body.split(b'"entityId":"')[1][:1]: request.headers for request in receiver.requests}
    assert by_entity[b"1"]["traceparent"] == PUBLISHER
    assert "traceparent" not in by_entity[b"2"]
    assert "traceparent" not in by_entity[b"3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PUBLISHER, PUBLISHER),
        (f"00-{TRACE_ID}-{PUBLISHER_SPAN}-00", f"00-{TRACE_ID}-{PUBLISHER_SPAN}-00"),  # not sampled
        (f"00-{'0' * 32}-{PUBLISHER_SPAN}-01", None),  # the all-zero trace id is invalid
        (f"00-{TRACE_ID}-{'0' * 16}-01", None),
        (f"ff-{TRACE_ID}-{PUBLISHER_SPAN}-01", None),  # version ff is forbidden
        (f"00-{TRACE_ID}-{PUBLISHER_SPAN}", None),
        (PUBLISHER.upper(), None),  # the spec's hex digits are lower-case
        (f"{PUBLISHER}-more", None),  # version 00 has exactly four fields
        (f"01-{TRACE_ID}-{PUBLISHER_SPAN}-01-more", PUBLISHER),  # a later version, read as 00
        ("", None),
        (None, None),
    ],
)
def test_valid_traceparent(text: str | None, expected: str | None) -> None:
    assert valid_traceparent(text) == expected


def test_tracing_is_off_unless_an_otlp_endpoint_is_set() -> None:
    assert not Tracing.from_environment({}).enabled
    assert not Tracing.from_environment({"OTEL_SERVICE_NAME": "x"}).enabled
    disabled = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}
    assert not Tracing.from_environment(disabled).enabled
    for variable in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        tracing = Tracing.from_environment({variable: "http://127.0.0.1:4318"})
        assert tracing.enabled
        tracing.shutdown()


async def test_a_publisher_that_does_not_sample_is_followed(
    traced: tuple[Runtime, Client], receiver: LiveReceiver, exporter: InMemorySpanExporter
) -> None:
    """The default sampler is parent-based: an unsampled publisher's trace records no span, and
    its deliveries still carry the trace, unsampled."""
    runtime, client = traced
    await client.register(receiver.url())
    await publish_traced(client, f"00-{TRACE_ID}-{PUBLISHER_SPAN}-00")
    assert await runtime.worker.deliver_due() == 1

    assert exporter.get_finished_spans() == ()
    [request] = receiver.requests
    version, trace_id, _, flags = request.headers["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "00")
