"""Basic passwords, Bearer tokens, OAuth2 client secrets and tokens, client certificates' keys,
custom header values and signing secrets appear nowhere but where they must: not in any stored
row or database file, not in any log line, and in API answers only when created or rotated.
Ed25519 (v1a) private keys appear nowhere at all."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import httpx
import pytest
import trustme
from sqlalchemy import select
from sqlalchemy.engine import make_url

from hookline.domain import rotation
from hookline.runtime import Runtime
from hookline.store.tables import metadata, webhook_registrations
from tests.api.support import registration_body
from tests.conftest import Receiver, Reply, make_key, serving
from tests.token_endpoint import TokenEndpoint
from tests.ui.conftest import csrf_of, sign_in

PASSWORD = "correct-horse-battery-staple-1f9c"
TOKEN = "bearer-token-4c1e8d2b7a6f"
HEADER_VALUE = "header-value-9b3f5a0e2d71"
CLIENT_SECRET = "client-secret-7d2e9a41c0b8"
ACCESS_TOKEN = "access-token-3a9f07e5b1d2-"


async def _stored_values(runtime: Runtime) -> list[object]:
    values: list[object] = []
    async with runtime.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                values.extend(row)
    return values


def _database_files(database_url: str) -> list[Path]:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return []
    main = Path(str(url.database))
    return [path for path in (main, Path(f"{main}-wal")) if path.exists()]


async def test_no_secret_is_stored_logged_or_answered_in_plain_text(
    api: httpx.AsyncClient,
    runtime: Runtime,
    database_url: str,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[httpx.Response] = []

    async def call(method: str, path: str, headers: dict[str, str], **kwargs: object) -> httpx.Response:
        response = await api.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
        answers.append(response)
        return response

    auth = {"authorizationType": "Basic", "username": "hooks", "password": PASSWORD}
    created = await call(
        "POST",
        "/api/webhook-registrations",
        subscriber,
        json=registration_body(receiver.url(), targetAuthorization=auth),
    )
    assert created.status_code == 201, created.text
    registration_id = created.json()["id"]
    first_secret = created.json()["signingSecret"]
    rotated = await call("POST", f"/api/webhook-registrations/{registration_id}/rotate-secret", subscriber)
    second_secret = rotated.json()["signingSecret"]
    await call("POST", f"/api/webhook-registrations/{registration_id}/test", subscriber)
    receiver.reply(Reply(status=500, body="nope"))
    published = await call(
        "POST", "/api/events", publisher, json={"entityName": "Process", "type": 2, "entityId": "1"}
    )
    [webhook_id] = published.json()["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    await call(
        "PATCH", f"/api/webhook-registrations/{registration_id}", subscriber, json={"description": "x"}
    )
    for path in (
        f"/api/webhook-registrations/{registration_id}",
        "/api/webhook-registrations",
        f"/api/webhook-registrations/{registration_id}/webhooks",
        f"/api/webhooks/{webhook_id}",
        f"/api/webhooks/{webhook_id}/webhook-attempts",
    ):
        assert (await call("GET", path, subscriber)).status_code == 200
    assert receiver.requests[0].headers["Authorization"].startswith("Basic ")  # it did travel

    secrets = {PASSWORD: set(), first_secret: {0}, second_secret: {1}}
    await _assert_kept_secret(secrets, answers, runtime, database_url, caplog)


async def _assert_kept_secret(
    secrets: dict[str, set[int]],
    answers: list[httpx.Response],
    runtime: Runtime,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each secret is in the answers whose index it maps to, and nowhere else: not in another
    answer, a log line, a stored value or a database file."""
    for secret, allowed_in in secrets.items():
        for index, answer in enumerate(answers):
            assert (secret in answer.text) == (index in allowed_in), (secret, answer.request.url)
        assert secret not in caplog.text
        key_part = secret.removeprefix("whsec_").removeprefix("whsk_")
        for value in await _stored_values(runtime):
            if isinstance(value, bytes):
                assert secret.encode() not in value and key_part.encode() not in value
            elif isinstance(value, str):
                assert secret not in value and key_part not in value
        for path in _database_files(database_url):
            content = path.read_bytes()
            assert secret.encode() not in content and key_part.encode() not in content, path


async def test_bearer_token_and_header_values_are_kept_as_secret(
    api: httpx.AsyncClient,
    runtime: Runtime,
    database_url: str,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[httpx.Response] = []
    auth = {"authorizationType": "Bearer", "token": TOKEN}
    body = registration_body(receiver.url(), targetAuthorization=auth, headers={"X-Api-Key": HEADER_VALUE})
    created = await api.post("/api/webhook-registrations", headers=subscriber, json=body)
    assert created.status_code == 201, created.text
    answers.append(created)
    registration_id = created.json()["id"]
    path = f"/api/webhook-registrations/{registration_id}"
    answers.append(await api.post(f"{path}/test", headers=subscriber))
    published = await api.post(
        "/api/events", headers=publisher, json={"entityName": "Process", "type": 2, "entityId": "1"}
    )
    [webhook_id] = published.json()["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    answers.append(
        await api.patch(path, headers=subscriber, json={"headers": {"X-Api-Key": None, "X-Other": "o"}})
    )
    for read in (path, "/api/webhook-registrations", f"/api/webhooks/{webhook_id}/webhook-attempts"):
        answers.append(await api.get(read, headers=subscriber))
    await sign_in(api, (await make_key(runtime, "acme", "subscriber"))["Authorization"].split()[1])
    for page in (f"/ui/registrations/{registration_id}", f"/ui/registrations/{registration_id}/edit"):
        answers.append(await api.get(page))
    assert all(answer.is_success for answer in answers), [answer.text for answer in answers]

    for arrived in receiver.requests:  # they did travel, on every request
        sent = {name.lower(): value for name, value in arrived.headers.items()}
        assert sent["authorization"] == f"Bearer {TOKEN}" and sent["x-api-key"] == HEADER_VALUE
    assert len(receiver.requests) == 2
    await _assert_kept_secret({TOKEN: set(), HEADER_VALUE: set()}, answers, runtime, database_url, caplog)


async def test_no_ed25519_private_key_is_stored_logged_answered_or_shown(
    api: httpx.AsyncClient,
    runtime: Runtime,
    database_url: str,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[httpx.Response] = []
    headers = subscriber | {"Idempotency-Key": "v1a-at-rest"}
    body = registration_body(receiver.url(), signatureScheme="v1a", verify=True)
    answers.append(await api.post("/api/webhook-registrations", headers=headers, json=body))
    answers.append(await api.post("/api/webhook-registrations", headers=headers, json=body))  # a replay
    registration_id = answers[0].json()["id"]
    path = f"/api/webhook-registrations/{registration_id}"
    answers.append(await api.post(f"{path}/rotate-secret", headers=subscriber))
    answers.append(await api.post(f"{path}/test", headers=subscriber))
    published = await api.post(
        "/api/events", headers=publisher, json={"entityName": "Process", "type": 2, "entityId": "1"}
    )
    [webhook_id] = published.json()["webhookIds"]
    assert await runtime.worker.deliver_due() == 1
    answers.append(await api.patch(path, headers=subscriber, json={"description": "x"}))
    for read in (path, "/api/webhook-registrations", f"/api/webhooks/{webhook_id}/webhook-attempts"):
        answers.append(await api.get(read, headers=subscriber))
    await sign_in(api, (await make_key(runtime, "acme", "subscriber"))["Authorization"].split()[1])
    page = f"/ui/registrations/{registration_id}"
    answers.append(
        await api.post(f"{page}/rotate-secret", data={"csrf": csrf_of((await api.get(page)).text)})
    )
    for shown in (page, f"{page}/edit"):
        answers.append(await api.get(shown))
    assert all(answer.status_code < 400 for answer in answers), [answer.text for answer in answers]
    assert len(receiver.requests) == 3  # verify, test, the delivery: each signed

    async with runtime.db.read() as conn:
        current, retired = (
            await conn.execute(
                select(
                    webhook_registrations.c.signing_secret, webhook_registrations.c.retired_signing_secrets
                )
            )
        ).one()
    private_keys = [runtime.box.decrypt(current)]
    private_keys += [entry.secret for entry in rotation.decode(runtime.box.decrypt(retired))]
    assert len(private_keys) == 3 and all(key.startswith("whsk_") for key in private_keys)
    await _assert_kept_secret({key: set() for key in private_keys}, answers, runtime, database_url, caplog)
    for key in private_keys:  # nor its raw bytes, nor their hex
        raw = base64.b64decode(key.removeprefix("whsk_"))
        for value in await _stored_values(runtime):
            assert not (isinstance(value, bytes) and raw in value)
            assert not (isinstance(value, str) and raw.hex() in value)
        for path_on_disk in _database_files(database_url):
            assert raw not in path_on_disk.read_bytes()


async def test_oauth2_client_secret_tokens_and_client_key_are_kept_as_secret(
    api: httpx.AsyncClient,
    runtime: Runtime,
    database_url: str,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[httpx.Response] = []
    leaf = trustme.CA().issue_cert("hookline.example", common_name="hookline")
    private_key = leaf.private_key_pem.bytes().decode()
    certificate = {"certificate": leaf.cert_chain_pems[0].bytes().decode(), "privateKey": private_key}
    async with serving(TokenEndpoint(prefix=ACCESS_TOKEN)) as tokens:
        auth = {
            "authorizationType": "OAuth2",
            "tokenUrl": tokens.url("/token"),
            "clientId": "hookline",
            "clientSecret": CLIENT_SECRET,
        }
        body = registration_body(receiver.url(), targetAuthorization=auth)
        created = await api.post("/api/webhook-registrations", headers=subscriber, json=body)
        assert created.status_code == 201, created.text
        answers.append(created)
        path = f"/api/webhook-registrations/{created.json()['id']}"
        answers.append(await api.post(f"{path}/test", headers=subscriber))
        published = await api.post(
            "/api/events", headers=publisher, json={"entityName": "Process", "type": 2, "entityId": "1"}
        )
        [webhook_id] = published.json()["webhookIds"]
        assert await runtime.worker.deliver_due() == 1
        https_target = {"targetUrl": receiver.url().replace("http://127.0.0.1", "https://localhost")}
        answers.append(
            await api.patch(path, headers=subscriber, json=https_target | {"clientCertificate": certificate})
        )
    for read in (path, "/api/webhook-registrations", f"/api/webhooks/{webhook_id}/webhook-attempts"):
        answers.append(await api.get(read, headers=subscriber))
    await sign_in(api, (await make_key(runtime, "acme", "subscriber"))["Authorization"].split()[1])
    for page in (path.replace("/api/webhook-registrations", "/ui/registrations"),):
        answers.append(await api.get(page))
        answers.append(await api.get(f"{page}/edit"))
    assert all(answer.is_success for answer in answers), [answer.text for answer in answers]

    assert [request.headers["Authorization"] for request in receiver.requests] == [
        f"Bearer {ACCESS_TOKEN}1",
        f"Bearer {ACCESS_TOKEN}1",
    ]  # they did travel
    key_line = max(private_key.splitlines(), key=len)  # answers would escape the PEM's line breaks
    kept = {CLIENT_SECRET: set(), ACCESS_TOKEN: set(), key_line: set()}
    await _assert_kept_secret(kept, answers, runtime, database_url, caplog)
