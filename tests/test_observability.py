"""Observability of real `hookline` processes: spans exported over OTLP/HTTP to a real receiver,
JSON log lines, and /metrics of a process that shows the backlog another one created."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Receiver, eventually
from tests.processes import ADMIN, free_port, hookline_env, running_hookline, until_ready

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
PASSWORD = "basic-password-never-logged"


class OtlpReceiver:
    """A real OTLP/HTTP endpoint (protobuf, as the exporter sends it) that keeps every span."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        export = ExportTraceServiceRequest.FromString(body)
        for resource_spans in export.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        {
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "service": resource.get("service.name"),
                            "scope": scope_spans.scope.name,
                        }
                    )
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(), content_type="application/x-protobuf"
        )


@pytest.fixture
async def otlp() -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    app = web.Application()
    app.router.add_post("/v1/traces", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        yield receiver
    finally:
        await runner.cleanup()


async def register(base: str, target_url: str) -> dict[str, Any]:
    """As an admin: a registration with Basic auth for `target_url`, to Unit Created events."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}) as client:
        created = await client.post(
            "/api/webhook-registrations",
            json={
                "organizationId": "acme",
                "targetUrl": target_url,
                "enabledEvents": [{"entityName": "Unit", "type": "Created"}],
                "targetAuthorization": {"authorizationType": 1, "username": "hook", "password": PASSWORD},
            },
        )
    assert created.status_code == 201, created.text
    registration: dict[str, Any] = created.json()
    return registration


async def publish(base: str, entity_id: str = "7", **headers: str) -> str:
    """As an admin: one Unit Created event; answers its one Webhook's id."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}) as client:
        published = await client.post(
            "/api/events",
            headers=headers,
            json={"organizationId": "acme", "entityName": "Unit", "type": 1, "entityId": entity_id},
        )
    assert published.status_code == 202, published.text
    [webhook_id] = published.json()["webhookIds"]
    return str(webhook_id)


def read(path: Path) -> str:
    return path.read_text()


async def test_spans_are_exported_over_otlp_in_the_publishers_trace(
    database_url: str, receiver: Receiver, otlp: OtlpReceiver
) -> None:
    env = hookline_env(database_url) | {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
        "OTEL_SERVICE_NAME": "hookline-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "50",  # the SDK's own batching variable: export within 50 ms
        "OTEL_EXPORTER_OTLP_HEADERS": "x-collector-token=otlp-test",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with running_hookline("serve", "--port", str(port), env=env):
        await until_ready(base)
        await register(base, receiver.url())
        webhook_id = await publish(base, traceparent=TRACEPARENT)
        [request] = await receiver.wait_for_requests(1)

        async def exported() -> bool:
            return {"hookline.publish", "hookline.fan_out", "hookline.attempt"} <= {
                s["name"] for s in otlp.spans
            }

        await eventually(exported, "publish, fan-out and attempt spans exported")

    assert request.headers["webhook-id"] == webhook_id
    assert {r["Content-Type"] for r in otlp.requests} == {"application/x-protobuf"}
    assert {r["x-collector-token"] for r in otlp.requests} == {"otlp-test"}
    spans = {span["name"]: span for span in otlp.spans}
    assert {span["trace_id"] for span in spans.values()} == {TRACE_ID}
    assert {span["service"] for span in spans.values()} == {"hookline-under-test"}
    assert spans["hookline.publish"]["parent_span_id"] == "00f067aa0ba902b7"
    assert spans["hookline.attempt"]["parent_span_id"] == spans["hookline.fan_out"]["span_id"]
    assert request.headers["traceparent"] == f"00-{TRACE_ID}-{spans['hookline.attempt']['span_id']}-01"


async def test_json_log_lines_carry_delivery_ids_and_no_secret(
    database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    log = tmp_path / "hookline.log"
    env = hookline_env(database_url, log_format="json", log_level="debug")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with running_hookline("serve", "--port", str(port), env=env, log=log):
        await until_ready(base)
        registration = await register(base, receiver.url())
        webhook_id = await publish(base)
        [request] = await receiver.wait_for_requests(1)

        async def attempt_logged() -> bool:
            return f"attempt 1 of {webhook_id} delivered" in read(log)

        await eventually(attempt_logged, "the attempt's log line")

    text = read(log)
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    [attempt] = [line for line in lines if line.get("webhook_id") == webhook_id]
    assert attempt["registration_id"] == registration["id"]
    assert attempt["organization_id"] == "acme"
    assert attempt["attempt_number"] == 1
    assert attempt["response_status"] == 200
    published = [
        line for line in lines if line["logger"] == "uvicorn.access" and line["path"] == "/api/events"
    ]
    assert [(line["method"], line["status"]) for line in published] == [("POST", 202)]  # the server's too
    for secret in (PASSWORD, registration["signingSecret"], ADMIN, request.headers["Authorization"]):
        assert secret not in text


async def test_a_process_shows_the_backlog_another_process_created(database_url: str) -> None:
    """No worker runs: what one API process publishes waits, and the other process's /metrics,
    which never saw those requests, shows it, read from the database by its maintenance job."""
    env = hookline_env(database_url, maintenance_interval="100ms")
    publishing, observing = free_port(), free_port()
    async with (
        running_hookline("serve", "--port", str(publishing), "--no-worker", env=env),
        running_hookline("serve", "--port", str(observing), "--no-worker", env=env),
    ):
        await until_ready(f"http://127.0.0.1:{publishing}")
        await until_ready(f"http://127.0.0.1:{observing}")
        await register(f"http://127.0.0.1:{publishing}", "http://127.0.0.1:9/hook")
        for entity_id in ("1", "2", "3"):
            await publish(f"http://127.0.0.1:{publishing}", entity_id)
        samples: dict[tuple[str, str], float] = {}

        async def backlog_shown() -> bool:
            async with httpx.AsyncClient() as client:
                text = (await client.get(f"http://127.0.0.1:{observing}/metrics")).text
            samples.clear()
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    samples[(sample.name, sample.labels.get("state", ""))] = sample.value
            return samples.get(("hookline_webhooks_backlog", "Created")) == 3

        await eventually(backlog_shown, "the observing process shows 3 Created Webhooks")
    assert samples[("hookline_webhooks_backlog", "Retrying")] == 0
    assert samples[("hookline_webhooks_backlog", "Pending")] == 0
    assert samples[("hookline_delivery_lag_seconds", "")] > 0
