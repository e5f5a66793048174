"""A deactivation by hand says so in `disabledReason`, naming the key that did it (never the key)."""

from __future__ import annotations

import httpx

from hookline.domain.enums import Role
from hookline.runtime import Runtime
from tests.api.support import register
from tests.conftest import bearer


async def test_the_reason_names_the_key_that_deactivated_it(
    api: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    record, key = await runtime.hookline.create_api_key("acme", Role.SUBSCRIBER, "ops console")
    registration = await register(api, bearer(key), "http://127.0.0.1:9/a")
    response = await api.patch(
        f"/api/webhook-registrations/{registration['id']}", json={"isActive": False}, headers=bearer(key)
    )
    assert response.status_code == 200, response.text
    reason = response.json()["disabledReason"]
    assert reason == f"deactivated by hand by API key 'ops console' ({record.id})"
    assert key not in response.text

    other = await register(api, admin, "http://127.0.0.1:9/b", organizationId="acme")
    response = await api.patch(
        f"/api/webhook-registrations/{other['id']}", json={"isActive": False}, headers=admin
    )
    assert response.json()["disabledReason"] == "deactivated by hand by the bootstrap admin key"
    again = await api.patch(
        f"/api/webhook-registrations/{other['id']}", json={"isActive": True}, headers=admin
    )
    assert again.json()["disabledReason"] is None
