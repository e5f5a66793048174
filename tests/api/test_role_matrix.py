"""Every endpoint x every role, on the caller's own organization: the exact status.

Admins and owners may do everything (owners in their own organization); publishers only
publish; subscribers manage registrations and read webhooks; `GET /api/entities` is for any
key. Foreign organizations are covered in test_isolation.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hookline.domain.enums import Role
from hookline.runtime import Runtime
from tests.api.support import assert_problem, registration_body
from tests.conftest import START, make_key

A, OW, P, S = "admin", "owner", "publisher", "subscriber"
EVENT = {"entityName": "Process", "type": 2, "entityId": "7"}

# (method, path, body, success status, roles allowed); {reg}, {wh} and {key} are filled per test.
ENDPOINTS: list[tuple[str, str, Any, int, set[str]]] = [
    ("POST", "/api/api-keys", {"organizationId": "acme", "role": "publisher"}, 201, {A, OW}),
    ("GET", "/api/api-keys", None, 200, {A, OW}),
    ("DELETE", "/api/api-keys/{key}", None, 204, {A, OW}),
    ("POST", "/api/webhook-registrations", registration_body("http://127.0.0.1:9/new"), 201, {A, OW, S}),
    ("GET", "/api/webhook-registrations", None, 200, {A, OW, S}),
    ("POST", "/api/webhook-registrations/search", {"entityName": "Process"}, 200, {A, OW, S}),
    ("GET", "/api/webhook-registrations/{reg}", None, 200, {A, OW, S}),
    ("PATCH", "/api/webhook-registrations/{reg}", {"description": "changed"}, 200, {A, OW, S}),
    ("DELETE", "/api/webhook-registrations/{reg}", None, 204, {A, OW, S}),
    ("POST", "/api/webhook-registrations/{reg}/rotate-secret", None, 200, {A, OW, S}),
    ("GET", "/api/webhook-registrations/{reg}/webhooks", None, 200, {A, OW, S}),
    ("POST", "/api/webhook-registrations/{reg}/test", None, 200, {A, OW, S}),
    ("POST", "/api/webhook-registrations/{reg}/recover", {"since": START.isoformat()}, 200, {A, OW, S}),
    ("POST", "/api/events", EVENT, 202, {A, OW, P}),
    ("POST", "/api/events/batch", {"events": [EVENT]}, 202, {A, OW, P}),
    ("GET", "/api/webhooks", None, 200, {A, OW, S}),
    ("GET", "/api/webhooks/{wh}", None, 200, {A, OW, S}),
    ("GET", "/api/webhooks/{wh}/webhook-attempts", None, 200, {A, OW, S}),
    ("POST", "/api/webhooks/{wh}/abort", None, 200, {A, OW, S}),
    ("POST", "/api/webhooks/{wh}/resolve", None, 200, {A, OW, S}),
    ("POST", "/api/webhooks/{wh}/retry", None, 200, {A, OW, S}),
    ("GET", "/api/entities", None, 200, {A, OW, P, S}),
]


def _for_admin(body: Any) -> Any:
    """Admin keys name the organization they create in: registrations and events."""
    if not isinstance(body, dict):
        return body
    if "events" in body:
        return {"events": [_for_admin(event) for event in body["events"]]}
    if "targetUrl" in body or "entityId" in body:
        return body | {"organizationId": "acme"}
    return body


@pytest.mark.parametrize("role", [A, OW, P, S])
@pytest.mark.parametrize(
    ("method", "path", "body", "success", "allowed"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS]
)
async def test_status_by_role(
    api: httpx.AsyncClient,
    runtime: Runtime,
    admin: dict[str, str],
    role: str,
    method: str,
    path: str,
    body: Any,
    success: int,
    allowed: set[str],
) -> None:
    headers = admin if role == A else await make_key(runtime, "acme", role)
    registration = await api.post(
        "/api/webhook-registrations",
        headers=admin,
        json=_for_admin(registration_body("http://127.0.0.1:9/hook")),
    )
    published = await api.post("/api/events", headers=admin, json=_for_admin(EVENT))
    spare, _ = await runtime.hookline.create_api_key("acme", Role.PUBLISHER, "spare")
    url = path.format(reg=registration.json()["id"], wh=published.json()["webhookIds"][0], key=spare.id)

    response = await api.request(method, url, headers=headers, json=_for_admin(body) if role == A else body)

    if role in allowed:
        assert response.status_code == success, response.text
    else:
        assert_problem(response, 403)
