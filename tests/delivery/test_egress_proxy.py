"""HOOKLINE_EGRESS_PROXY: every attempt goes through a real HTTP proxy (proxy.py, a separate
process that records what it forwards), CONNECT for https, with hookline's own target checks
applied first: the proxy is handed the checked address, never a name to resolve again."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import ssl
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from hookline.config import Settings
from hookline.delivery.guard import TargetGuard
from hookline.delivery.sender import Sender
from hookline.delivery.tls import TargetTls
from hookline.runtime import Runtime
from tests.conftest import Receiver, serving
from tests.delivery.conftest import Client, LiveReceiver
from tests.processes import until_file

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LOOPBACK = TargetGuard([ipaddress.ip_network("127.0.0.0/8")])
REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass
class RecordingProxy:
    url: str
    log: Path

    def seen(self) -> list[dict[str, Any]]:
        """What the proxy was asked to forward, oldest first."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@asynccontextmanager
async def recording_proxy(directory: Path, *, refuse_all: bool = False) -> AsyncIterator[RecordingProxy]:
    """A real proxy.py process on a free loopback port with the recording plugin loaded;
    `refuse_all`: it answers every request 403, as a filtering proxy refusing a target does."""
    log, port_file = directory / "proxy.jsonl", directory / "proxy.port"
    env = {
        "HOOKLINE_TEST_PROXY_LOG": str(log),
        "PYTHONPATH": str(REPOSITORY),  # where the plugin module is found
        "HOME": str(directory),  # proxy.py keeps its data directory under the home directory
        "PATH": "",
    }
    if refuse_all:
        env["HOOKLINE_TEST_PROXY_REFUSE_ALL"] = "1"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0",
        "--port-file", str(port_file), "--num-workers", "1", "--num-acceptors", "1",
        "--plugins", "tests.delivery.proxy_recorder.Recorder", "--log-level", "WARNING",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        port = int((await until_file(port_file)).split()[0])
        yield RecordingProxy(f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)


@pytest.fixture
async def egress_proxy(tmp_path: Path) -> AsyncIterator[RecordingProxy]:
    async with recording_proxy(tmp_path) as proxy:
        yield proxy


@pytest.fixture
def settings(settings: Settings, egress_proxy: RecordingProxy) -> Settings:
    return replace(settings, egress_proxy=egress_proxy.url)


async def test_an_http_target_is_reached_through_the_proxy_by_its_checked_address(
    client: Client, runtime: Runtime, receiver: LiveReceiver, egress_proxy: RecordingProxy
) -> None:
    port = int(receiver.base_url.rsplit(":", 1)[1])
    await client.register(f"http://localhost:{port}/hook")
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    [attempt] = await client.attempts(webhook_id)
    assert attempt["succeeded"], attempt
    [request] = receiver.requests
    assert request.headers["webhook-id"] == webhook_id
    assert request.headers["Host"] == f"localhost:{port}"  # the name, for the target's virtual hosts
    # The proxy was asked for the address hookline resolved and checked, not for the name.
    assert egress_proxy.seen() == [
        {"method": "POST", "host": "127.0.0.1", "port": port, "hostHeader": f"localhost:{port}"}
    ]


@dataclass
class TlsReceiver:
    url: str
    server_names: list[str | None]
    hosts: list[str]


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_receiver(ca: trustme.CA) -> AsyncIterator[TlsReceiver]:
    """A real TLS receiver on 127.0.0.1 whose certificate names `localhost` only (not the IP)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    server_names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    hosts: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        hosts.append(request.headers["Host"])
        await request.read()
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield TlsReceiver(f"https://localhost:{port}/hook", server_names, hosts)
    finally:
        await runner.cleanup()


@pytest.fixture
async def proxied_sender(egress_proxy: RecordingProxy, ca: trustme.CA) -> AsyncIterator[Sender]:
    """The delivery client as the runtime builds it with a proxy, trusting the test's CA."""
    trusting = TargetTls(ca.cert_pem.bytes().decode())
    async with Sender(
        timeout=timedelta(seconds=10), guard=LOOPBACK, proxy=egress_proxy.url, tls=trusting
    ) as sender:
        yield sender


async def test_an_https_target_is_tunnelled_with_connect_and_verified_for_its_name(
    proxied_sender: Sender, tls_receiver: TlsReceiver, egress_proxy: RecordingProxy
) -> None:
    port = int(tls_receiver.url.split(":")[2].split("/")[0])

    sent = await proxied_sender.post(tls_receiver.url, {"webhook-id": "wh_1"}, b"{}", now=NOW)

    assert sent.result.succeeded, sent.result
    assert egress_proxy.seen() == [
        {"method": "CONNECT", "host": "127.0.0.1", "port": port, "hostHeader": f"localhost:{port}"}
    ]
    # Inside the tunnel: SNI and the certificate check use the name, the request names it too.
    assert tls_receiver.server_names == ["localhost"]
    assert tls_receiver.hosts == [f"localhost:{port}"]


async def test_a_certificate_for_another_name_fails_through_the_tunnel(
    egress_proxy: RecordingProxy, tls_receiver: TlsReceiver
) -> None:
    """Without the test CA trusted, the same tunnel ends in a TLS failure: verification is on."""
    async with Sender(timeout=timedelta(seconds=10), guard=LOOPBACK, proxy=egress_proxy.url) as sender:
        sent = await sender.post(tls_receiver.url, {}, b"{}", now=NOW)
    assert sent.result.error is not None and sent.result.error.startswith("TLS:"), sent.result


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_a_blocked_target_is_refused_before_the_proxy_sees_anything(
    egress_proxy: RecordingProxy, host: str
) -> None:
    async with serving(Receiver()) as target:
        port = int(target.base_url.rsplit(":", 1)[1])
        async with Sender(
            timeout=timedelta(seconds=10), guard=TargetGuard(), proxy=egress_proxy.url
        ) as sender:
            sent = await sender.post(f"http://{host}:{port}/hook", {}, b"{}", now=NOW)
        assert sent.result.blocked
        assert sent.result.error is not None
        assert sent.result.error.startswith("blocked target: 127.0.0.1 is not a public address")
        assert target.requests == []
    assert egress_proxy.seen() == []


class Rebinding(AbstractResolver):
    """A hostile name server: `rebinding.test` answers loopback (allowed here) first, then a
    private address, as DNS rebinding does between a check and a connection."""

    def __init__(self) -> None:
        self.answers = ["127.0.0.1", "10.0.0.1"]

    async def resolve(self, host: str, port: int = 0, family: Any = 0) -> list[ResolveResult]:
        assert host == "rebinding.test"
        address = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET,
                "proto": 6,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        pass


async def test_the_proxy_gets_the_checked_address_so_a_rebound_name_cannot_redirect_it(
    egress_proxy: RecordingProxy,
) -> None:
    guard = TargetGuard([ipaddress.ip_network("127.0.0.0/8")], resolver=Rebinding)
    async with (
        serving(Receiver()) as target,
        Sender(timeout=timedelta(seconds=10), guard=guard, proxy=egress_proxy.url) as sender,
    ):
        port = int(target.base_url.rsplit(":", 1)[1])
        url = f"http://rebinding.test:{port}/hook"
        first = await sender.post(url, {}, b"{}", now=NOW)
        second = await sender.post(url, {}, b"{}", now=NOW)  # the name now answers 10.0.0.1

        assert first.result.succeeded, first.result
        assert [request.headers["Host"] for request in target.requests] == [f"rebinding.test:{port}"]
    assert second.result.blocked and second.result.error is not None
    assert second.result.error.startswith("blocked target: 10.0.0.1 is not a public address")
    # The proxy was asked once, for the address hookline checked; it never had a name to resolve.
    assert egress_proxy.seen() == [
        {"method": "POST", "host": "127.0.0.1", "port": port, "hostHeader": f"rebinding.test:{port}"}
    ]


async def test_a_proxy_refusing_the_tunnel_is_named_on_the_attempt(
    tls_receiver: TlsReceiver, ca: trustme.CA, tmp_path: Path
) -> None:
    trusting = TargetTls(ca.cert_pem.bytes().decode())
    async with (
        recording_proxy(tmp_path, refuse_all=True) as refusing,
        Sender(timeout=timedelta(seconds=10), guard=LOOPBACK, proxy=refusing.url, tls=trusting) as sender,
    ):
        sent = await sender.post(tls_receiver.url, {}, b"{}", now=NOW)
    assert sent.result.error == "egress proxy refused: 403 Forbidden", sent.result
    assert [entry["method"] for entry in refusing.seen()] == ["CONNECT"]
    assert tls_receiver.hosts == []


async def test_an_unreachable_proxy_is_named_on_the_attempt(closed_port: int) -> None:
    async with Sender(
        timeout=timedelta(seconds=10), guard=LOOPBACK, proxy=f"http://127.0.0.1:{closed_port}"
    ) as sender:
        sent = await sender.post("http://localhost:9/hook", {}, b"{}", now=NOW)
    assert sent.result.error == "egress proxy unreachable: connection refused", sent.result
