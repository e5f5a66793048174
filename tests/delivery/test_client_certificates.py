"""Mutual TLS against a real TLS receiver on loopback that requires a client certificate,
trusted through HOOKLINE_TARGET_CA_FILE; the certificate checks at registration; the warning
before a certificate expires."""

from __future__ import annotations

import json
import logging
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hookline.clock import FrozenClock
from hookline.config import ConfigError, Settings
from hookline.domain.enums import WebhookState
from hookline.runtime import Runtime
from tests.conftest import START, asgi_client
from tests.delivery.conftest import Client, LiveReceiver

NOT_AFTER = START + timedelta(days=3650)
"""Valid by the frozen clock and by the wall clock (the receiver checks it against the latter)."""


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_pem(ca: trustme.CA) -> dict[str, str]:
    leaf = ca.issue_cert(
        "hookline.example",
        common_name="hookline",
        organization_name="Example",
        organization_unit_name="Hooks",
        not_before=START - timedelta(days=1),
        not_after=NOT_AFTER,
    )
    return {
        "certificate": leaf.cert_chain_pems[0].bytes().decode(),
        "privateKey": leaf.private_key_pem.bytes().decode(),
    }


@dataclass
class MutualTlsReceiver:
    url: str
    peers: list[str] = field(default_factory=list)
    """The client certificate's common name, per request that got through."""


@pytest.fixture
def mtls_receiver(ca: trustme.CA) -> Iterator[MutualTlsReceiver]:
    """A real TLS receiver on 127.0.0.1 that refuses any client without a certificate of `ca`.

    A blocking server in a thread, not aiohttp's: asyncio drops a connection whose handshake
    failed without sending TLS's alert, where real servers (and this one) send it.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    peers: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            certificate = self.connection.getpeercert()  # type: ignore[attr-defined]
            subject = dict(item for part in certificate["subject"] for item in part)
            peers.append(subject["commonName"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MutualTlsReceiver(f"https://localhost:{server.server_address[1]}/hook", peers)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "target-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def settings(settings: Settings, ca_file: Path) -> Settings:
    return replace(settings, target_ca_file=ca_file)


async def test_a_target_requiring_a_client_certificate_gets_it(
    client: Client, runtime: Runtime, mtls_receiver: MutualTlsReceiver, client_pem: dict[str, str]
) -> None:
    registration = await client.register(mtls_receiver.url, clientCertificate=client_pem)
    assert registration["clientCertificate"] == {
        "subject": "CN=hookline,OU=Hooks,O=Example",
        "notAfter": "2036-01-03T12:00:00Z",
    }
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    assert mtls_receiver.peers == ["hookline"]
    assert await client.states(webhook_id) == [WebhookState.SUCCESSFUL]


async def test_without_a_client_certificate_the_attempt_fails_with_a_tls_error(
    client: Client, runtime: Runtime, mtls_receiver: MutualTlsReceiver
) -> None:
    await client.register(mtls_receiver.url)
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    assert mtls_receiver.peers == []
    [attempt] = await client.attempts(webhook_id)
    assert attempt["succeeded"] is False
    assert attempt["error"].startswith("TLS: "), attempt["error"]
    assert "certificate required" in attempt["error"]


async def test_patch_replaces_and_removes_the_client_certificate(
    client: Client,
    runtime: Runtime,
    mtls_receiver: MutualTlsReceiver,
    client_pem: dict[str, str],
    ca: trustme.CA,
) -> None:
    registration = await client.register(mtls_receiver.url, clientCertificate=client_pem)
    other = ca.issue_cert("other.example", common_name="renewed", not_after=START + timedelta(days=365))
    path = f"/api/webhook-registrations/{registration['id']}"
    renewed = {
        "certificate": other.cert_chain_pems[0].bytes().decode(),
        "privateKey": other.private_key_pem.bytes().decode(),
    }
    answer = await client.http.patch(path, headers=client.headers, json={"clientCertificate": renewed})
    assert answer.status_code == 200, answer.text
    assert answer.json()["clientCertificate"]["subject"].startswith("CN=renewed,")
    await client.publish_one("1")
    assert await runtime.worker.deliver_due() == 1

    answer = await client.http.patch(path, headers=client.headers, json={"clientCertificate": None})
    assert answer.status_code == 200, answer.text
    assert answer.json()["clientCertificate"] is None
    webhook_id = await client.publish_one("2")
    assert await runtime.worker.deliver_due() == 1

    assert mtls_receiver.peers == ["renewed"]
    [attempt] = await client.attempts(webhook_id)
    assert attempt["error"].startswith("TLS: ")


async def test_without_the_target_ca_file_the_targets_certificate_is_not_trusted(
    settings: Settings, clock: FrozenClock, mtls_receiver: MutualTlsReceiver, client_pem: dict[str, str]
) -> None:
    runtime = Runtime(replace(settings, target_ca_file=None), clock)
    await runtime.start(run_worker=False)
    try:
        async with asgi_client(runtime) as http:
            client = Client(http, {"Authorization": f"Bearer {settings.admin_key}"})
            await client.register(mtls_receiver.url, clientCertificate=client_pem)
            webhook_id = await client.publish_one()
            assert await runtime.worker.deliver_due() == 1
            [attempt] = await client.attempts(webhook_id)
    finally:
        await runtime.stop()
    assert "certificate verify failed" in attempt["error"], attempt["error"]
    assert mtls_receiver.peers == []


def self_signed(not_before: datetime, not_after: datetime) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stale")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def _problems(answer: Any) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    return {error["field"]: error["message"] for error in answer.json()["errors"]}


async def test_a_client_certificate_is_checked_at_registration(
    client: Client, mtls_receiver: MutualTlsReceiver, client_pem: dict[str, str], ca: trustme.CA
) -> None:
    expired, expired_key = self_signed(START - timedelta(days=30), START - timedelta(days=1))
    other_key = ca.issue_cert("other.example").private_key_pem.bytes().decode()
    encrypted_key = serialization.load_pem_private_key(client_pem["privateKey"].encode(), None).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    cases = [
        (
            {"certificate": "not a certificate", "privateKey": "nor a key"},
            {
                "clientCertificate.certificate": "must be a certificate in PEM (BEGIN CERTIFICATE)",
                "clientCertificate.privateKey": "must be a private key in PEM (BEGIN PRIVATE KEY)",
            },
        ),
        (
            client_pem | {"privateKey": other_key},
            {
                "clientCertificate.privateKey": "does not belong to the certificate",
            },
        ),
        (
            client_pem | {"privateKey": encrypted_key.decode()},
            {
                "clientCertificate.privateKey": "must not be encrypted with a passphrase",
            },
        ),
        (
            {"certificate": expired, "privateKey": expired_key},
            {
                "clientCertificate.certificate": "expired at 2026-01-04T12:00:00Z",
            },
        ),
    ]
    body = {"targetUrl": mtls_receiver.url, "enabledEvents": [{"entityName": "Process", "type": 2}]}
    for certificate, expected in cases:
        answer = await client.http.post(
            "/api/webhook-registrations",
            headers=client.headers,
            json=body | {"organizationId": "acme", "clientCertificate": certificate},
        )
        assert _problems(answer) == expected
    plain = body | {
        "organizationId": "acme",
        "targetUrl": "http://127.0.0.1:9/hook",
        "clientCertificate": client_pem,
    }
    answer = await client.http.post("/api/webhook-registrations", headers=client.headers, json=plain)
    assert _problems(answer) == {
        "clientCertificate": "is only presented over https://, and targetUrl is plain http://"
    }
    listed = await client.http.get("/api/webhook-registrations", headers=client.headers)
    assert listed.json()["totalCount"] == 0


async def test_the_owner_hears_once_that_the_client_certificate_expires_within_14_days(
    client: Client,
    runtime: Runtime,
    receiver: LiveReceiver,
    mtls_receiver: MutualTlsReceiver,
    client_pem: dict[str, str],
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registration = await client.register(mtls_receiver.url, clientCertificate=client_pem)
    await client.register(receiver.url(), enabledEvents=[{"entityName": "WebhookRegistration", "type": 2}])
    clock.set(NOT_AFTER - timedelta(days=14, seconds=1))
    assert (await runtime.maintenance.run_once()).expiring_certificates == 0

    clock.advance(timedelta(seconds=2))
    caplog.set_level(logging.WARNING, logger="hookline.service.health")
    assert (await runtime.maintenance.run_once()).expiring_certificates == 1
    assert (await runtime.maintenance.run_once()).expiring_certificates == 0

    assert await runtime.worker.deliver_due() == 1
    [announced] = [json.loads(request.body) for request in receiver.requests]
    assert announced["entityId"] == registration["id"]
    assert announced["data"] == {
        "registrationId": registration["id"],
        "targetUrl": mtls_receiver.url,
        "change": "clientCertificateExpiring",
        "warning": "its client certificate expires at 2036-01-03T12:00:00Z",
        "clientCertificate": registration["clientCertificate"],
    }
    assert [record.getMessage() for record in caplog.records] == [
        f"registration {registration['id']}: its client certificate expires at 2036-01-03T12:00:00Z"
        f" ({registration['clientCertificate']['subject']})"
    ]


def test_an_unusable_target_ca_file_stops_the_start(tmp_path: Path) -> None:
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    for path, reason in (
        (tmp_path / "missing.pem", "cannot be read: No such file or directory"),
        (not_pem, "holds no PEM certificate"),
        (broken, "is not a valid PEM bundle"),
    ):
        with pytest.raises(ConfigError, match=f"^HOOKLINE_TARGET_CA_FILE='{path}': {reason}"):
            Settings.from_env({"HOOKLINE_TARGET_CA_FILE": str(path)})


def test_the_target_ca_file_is_read_at_start(ca_file: Path) -> None:
    assert Settings.from_env({"HOOKLINE_TARGET_CA_FILE": str(ca_file)}).target_ca_file == ca_file
