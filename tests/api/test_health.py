"""Liveness, readiness, metrics and the API's own description: open to anyone."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx

from hookline.config import Settings
from hookline.runtime import Runtime
from tests.conftest import ADMIN_KEY, asgi_client, bearer


async def test_healthz_answers_ok_without_a_key(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_ready_when_the_database_answers(api: httpx.AsyncClient) -> None:
    response = await api.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_metrics_are_prometheus_text(api: httpx.AsyncClient) -> None:
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# HELP" in response.text
    assert "# TYPE" in response.text


async def test_openapi_describes_every_contract_path(api: httpx.AsyncClient) -> None:
    response = await api.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/api-keys": {"get", "post"},
        "/api/api-keys/{key_id}": {"delete"},
        "/api/webhook-registrations": {"get", "post"},
        "/api/webhook-registrations/search": {"post"},
        "/api/webhook-registrations/{registration_id}": {"get", "patch", "delete"},
        "/api/webhook-registrations/{registration_id}/rotate-secret": {"post"},
        "/api/webhook-registrations/{registration_id}/webhooks": {"get"},
        "/api/webhook-registrations/{registration_id}/test": {"post"},
        "/api/webhook-registrations/{registration_id}/recover": {"post"},
        "/api/events": {"post"},
        "/api/webhooks": {"get"},
        "/api/webhooks/{webhook_id}": {"get"},
        "/api/webhooks/{webhook_id}/webhook-attempts": {"get"},
        "/api/webhooks/{webhook_id}/abort": {"post"},
        "/api/webhooks/{webhook_id}/resolve": {"post"},
        "/api/webhooks/{webhook_id}/retry": {"post"},
        "/api/entities": {"get"},
        "/healthz": {"get"},
        "/readyz": {"get"},
        "/metrics": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))


async def test_docs_page_is_served_with_local_assets_only(api: httpx.AsyncClient) -> None:
    response = await api.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", response.text)
    assert assets, response.text
    for asset in assets:
        assert asset.startswith("/docs/assets/"), asset
        served = await api.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100, asset


async def test_an_unreachable_database_answers_503_problem_with_retry_after(tmp_path: Path) -> None:
    """Never 500: the request may well succeed once the database is back."""
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))  # bound but not listening: every connection is refused
        url = f"postgresql://postgres@127.0.0.1:{refusing.getsockname()[1]}/test"
        runtime = Runtime(
            Settings(database_url=url, admin_key=ADMIN_KEY, secret_key="k", secret_key_file=tmp_path / "k")
        )
        event = {"organizationId": "acme", "entityName": "Process", "type": 2, "entityId": "42"}
        try:
            async with asgi_client(runtime) as api:
                answers = [
                    await api.get("/readyz"),
                    await api.get("/api/webhooks", headers=bearer(ADMIN_KEY)),
                    await api.post("/api/events", headers=bearer(ADMIN_KEY), json=event),
                ]
        finally:
            await runtime.db.close()
    for answer in answers:
        assert answer.status_code == 503, (answer.request.url, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"] == "2"
        assert answer.json()["detail"] == "the database is unavailable; try again shortly"
