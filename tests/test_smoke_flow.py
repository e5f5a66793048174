"""The README's first webhook, end to end, on both databases."""

from __future__ import annotations

import json

import httpx

from hookline.runtime import Runtime
from tests.conftest import Receiver


async def test_first_webhook_is_delivered(
    api: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, admin: dict[str, str]
) -> None:
    created = await api.post(
        "/api/webhook-registrations",
        headers=admin,
        json={
            "organizationId": "acme",
            "targetUrl": receiver.url(),
            "enabledEvents": [{"entityName": "Process", "type": "Updated"}],
        },
    )
    assert created.status_code == 201, created.text
    published = await api.post(
        "/api/events",
        headers=admin,
        json={
            "organizationId": "acme",
            "entityName": "Process",
            "type": 2,
            "entityId": "42",
            "data": {"x": 1},
        },
    )
    assert published.status_code == 202, published.text
    [webhook_id] = published.json()["webhookIds"]

    assert await runtime.worker.deliver_due() == 1

    [request] = receiver.requests
    assert request.headers["webhook-id"] == webhook_id
    assert json.loads(request.body)["data"] == {"x": 1}
    webhook = (await api.get(f"/api/webhooks/{webhook_id}", headers=admin)).json()
    assert webhook["state"] == 3
