"""Delivery fixtures: a receiver that can hold requests and be awaited, extra runtimes on the
same database, and a small client for the API calls every delivery test makes.

`receiver` here overrides the shared one with `LiveReceiver`, a subclass that keeps its
behaviour and adds replies scripted per Webhook or per path, replies streamed in chunks, gates
(hold a request until the test opens it) and `wait_for_requests` (await arrivals in real time
without sleeping).
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx
import pytest
from aiohttp import web

from hookline.api.app import create_app
from hookline.clock import Clock
from hookline.config import Settings
from hookline.delivery.delivery_store import DeliveryStore
from hookline.delivery.worker import Worker, WorkerOptions
from hookline.runtime import Runtime
from hookline.store.wakeup import Wakeup
from tests.conftest import Received, Receiver, Reply, serving


@dataclass
class StreamedReply(Reply):
    """A reply whose body is written in separate chunks, with a pause between them."""

    chunks: tuple[bytes, ...] = ()
    pause_s: float = 0.05


class LiveReceiver(Receiver):
    """The shared receiver plus gates, per-path scripts and awaitable arrivals."""

    def __init__(self) -> None:
        super().__init__()
        self.by_path: dict[str, list[Reply]] = {}
        self.by_webhook: dict[str, list[Reply]] = {}
        self._gates: list[asyncio.Event] = []
        self._all_gates: list[asyncio.Event] = []
        self._path_gates: dict[str, asyncio.Event] = {}
        self._arrived = asyncio.Condition()
        self._open: Counter[str] = Counter()
        self.most_at_once: Counter[str] = Counter()
        """By path: the most requests held open at the same time."""

    def reply_at(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to `path` with `replies` before the global script."""
        self.by_path.setdefault(path, []).extend(replies)

    def reply_to(self, webhook_id: str, *replies: Reply) -> None:
        """Answer the next requests of one Webhook with `replies`, before any other script."""
        self.by_webhook.setdefault(webhook_id, []).extend(replies)

    def hold(self) -> asyncio.Event:
        """Hold the next request to arrive (after recording it) until the returned event is set."""
        gate = asyncio.Event()
        self._gates.append(gate)
        self._all_gates.append(gate)
        return gate

    def hold_path(self, path: str) -> asyncio.Event:
        """Hold every request to `path` (after recording it) until the returned event is set."""
        gate = self._path_gates[path] = asyncio.Event()
        self._all_gates.append(gate)
        return gate

    def release_all(self) -> None:
        for gate in self._all_gates:
            gate.set()

    def ids(self, path: str | None = None) -> list[str]:
        """The `webhook-id` of every request so far, in arrival order."""
        return [r.headers["webhook-id"] for r in self.requests if path is None or r.path == path]

    async def wait_for_requests(self, count: int, timeout_s: float = 15.0) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.requests) >= count), timeout_s)

    def _next_reply(self, request: web.Request) -> Reply:
        for scripted in (
            self.by_webhook.get(request.headers.get("webhook-id", "")),
            self.by_path.get(request.path),
        ):
            if scripted:
                return scripted.pop(0)
        return self.replies.pop(0) if self.replies else self.default

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        gate = self._gates.pop(0) if self._gates else self._path_gates.get(request.path)
        self.requests.append(Received(request.method, request.path_qs, dict(request.headers), body))
        async with self._arrived:
            self._arrived.notify_all()
        reply = self._next_reply(request)
        if gate is not None:
            self._open[request.path] += 1
            self.most_at_once[request.path] = max(self.most_at_once[request.path], self._open[request.path])
            try:
                await gate.wait()
            finally:
                self._open[request.path] -= 1
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if isinstance(reply, StreamedReply):
            return await _stream(request, reply)
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)


async def _stream(request: web.Request, reply: StreamedReply) -> web.StreamResponse:
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    await response.prepare(request)
    for index, chunk in enumerate(reply.chunks):
        if index:
            await asyncio.sleep(reply.pause_s)  # a slow sender, so the chunks arrive apart
        await response.write(chunk)
    await response.write_eof()
    return response


@pytest.fixture
async def receiver() -> AsyncIterator[LiveReceiver]:
    async with serving(LiveReceiver()) as target:
        try:
            yield target
        finally:
            target.release_all()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else takes it), not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@dataclass
class Client:
    """The API calls delivery tests make, as an admin, asserting the expected status."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    organization_id: str = "acme"

    async def register(self, target_url: str, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "organizationId": self.organization_id,
            "targetUrl": target_url,
            "enabledEvents": [{"entityName": "Process", "type": "Updated"}],
        } | fields
        answer = await self.http.post("/api/webhook-registrations", headers=self.headers, json=body)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    async def publish(self, entity_id: str = "42", **fields: Any) -> list[str]:
        body: dict[str, Any] = {
            "organizationId": self.organization_id,
            "entityName": "Process",
            "type": 2,
            "entityId": entity_id,
        } | fields
        answer = await self.http.post("/api/events", headers=self.headers, json=body)
        assert answer.status_code == 202, answer.text
        ids: list[str] = answer.json()["webhookIds"]
        return ids

    async def publish_one(self, entity_id: str = "42", **fields: Any) -> str:
        [webhook_id] = await self.publish(entity_id, **fields)
        return webhook_id

    async def publish_to(self, entity_id: str = "42", **fields: Any) -> dict[str, str]:
        """Publish; the Webhooks created, by registration id (the answer's order is unspecified)."""
        ids = await self.publish(entity_id, **fields)
        return {(await self.webhook(webhook_id))["registrationId"]: webhook_id for webhook_id in ids}

    async def webhook(self, webhook_id: str) -> dict[str, Any]:
        answer = await self.http.get(f"/api/webhooks/{webhook_id}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def states(self, *webhook_ids: str) -> list[int]:
        return [(await self.webhook(webhook_id))["state"] for webhook_id in webhook_ids]

    async def attempts(self, webhook_id: str) -> list[dict[str, Any]]:
        answer = await self.http.get(f"/api/webhooks/{webhook_id}/webhook-attempts", headers=self.headers)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    async def registration(self, registration_id: str) -> dict[str, Any]:
        answer = await self.http.get(f"/api/webhook-registrations/{registration_id}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def act(self, webhook_id: str, action: str) -> dict[str, Any]:
        """POST /api/webhooks/{id}/{abort|resolve|retry}."""
        answer = await self.http.post(f"/api/webhooks/{webhook_id}/{action}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@pytest.fixture
def client(api: httpx.AsyncClient, admin: dict[str, str]) -> Client:
    return Client(api, admin)


@dataclass
class Stack:
    """One more hookline process on the test's database: its runtime and an admin API client."""

    runtime: Runtime
    client: Client


StackFactory = Callable[..., Awaitable[Stack]]


NO_POLL = WorkerOptions(max_poll_s=3600)
"""A worker that only moves when woken: a test that sees it deliver has proved the wake-up."""


def worker_for(
    runtime: Runtime, options: WorkerOptions = NO_POLL, store: DeliveryStore | None = None
) -> Worker:
    """Another worker wired like `runtime.worker` (same database, sender, clock and wake-up);
    `store` replaces its way to the database (a test's faults)."""
    return Worker(
        store=store or DeliveryStore(runtime.db, runtime.health),
        clock=runtime.clock,
        policy=runtime.settings.retry_policy,
        dispatcher=runtime.dispatcher,
        wakeup=runtime.db.wakeup,
        lease=runtime.settings.lease,
        options=options,
    )


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Task[None]]:
    """Run `worker` for the block; then stop it gracefully, which records what was in flight."""
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        worker.stop()
        await asyncio.wait_for(task, 15)


@pytest.fixture
async def make_stack(settings: Settings, admin: dict[str, str]) -> AsyncIterator[StackFactory]:
    """Build extra runtimes on the same database, each with its own engine, wake-up and sender."""
    built: list[Stack] = []

    async def make(
        clock: Clock,
        *,
        run_worker: bool = False,
        worker_options: WorkerOptions | None = None,
        wakeup: Wakeup | None = None,
        **overrides: Any,
    ) -> Stack:
        runtime = Runtime(replace(settings, **overrides), clock, wakeup=wakeup)
        if worker_options is not None or wakeup is not None:
            runtime.worker = worker_for(runtime, worker_options or WorkerOptions())
        await runtime.start(run_worker=run_worker)
        transport = httpx.ASGITransport(app=create_app(runtime, run_worker=False), raise_app_exceptions=False)
        http = httpx.AsyncClient(transport=transport, base_url="http://hookline.test")
        stack = Stack(runtime, Client(http, admin))
        built.append(stack)
        return stack

    try:
        yield make
    finally:
        for stack in reversed(built):
            await stack.client.http.aclose()
            await stack.runtime.stop()
