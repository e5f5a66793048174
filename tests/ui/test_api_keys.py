"""The API keys page: admins only; a new key is shown once; revoking stops it at once."""

from __future__ import annotations

import re

import httpx

from hookline.domain.enums import Role
from hookline.runtime import Runtime
from tests.ui.conftest import csrf_of, new_key, sign_in

KEY = re.compile(r'<code id="new-key" class="secret">([^<]+)</code>')


async def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(
    api: httpx.AsyncClient, runtime: Runtime
) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.ADMIN))
    listing = await api.get("/ui/api-keys")
    assert listing.status_code == 200
    token = csrf_of(listing.text)

    created = await api.post(
        "/ui/api-keys",
        data={"csrf": token, "organizationId": "globex", "role": "publisher", "name": "billing"},
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/ui/api-keys"
    shown = (await api.get("/ui/api-keys")).text
    found = KEY.search(shown)
    assert found, "the new key is shown"
    key = found.group(1)
    assert "Copy key" in shown
    principal = await runtime.hookline.authenticate(key)
    assert (
        principal is not None and principal.role is Role.PUBLISHER and principal.organization_id == "globex"
    )
    again = (await api.get("/ui/api-keys")).text
    assert key not in again and "billing" in again  # listed, never shown again

    [record] = [k for k in (await runtime.hookline.list_api_keys(1, 50)).items if k.name == "billing"]
    revoked = await api.post(f"/ui/api-keys/{record.id}/revoke", data={"csrf": token})
    assert revoked.status_code == 303
    assert "Revoked: the key no longer works." in (await api.get(revoked.headers["location"])).text
    assert await runtime.hookline.authenticate(key) is None


async def test_a_bad_key_form_says_what_is_wrong_next_to_each_field(
    api: httpx.AsyncClient, runtime: Runtime
) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.ADMIN))
    token = csrf_of((await api.get("/ui/api-keys")).text)
    answer = await api.post(
        "/ui/api-keys", data={"csrf": token, "organizationId": " ", "role": "emperor", "name": "x" * 201}
    )
    assert answer.status_code == 422
    html = answer.text
    assert 'id="organizationId-error">Enter the organization the key belongs to.' in html
    assert 'id="role-error">Choose a role.' in html
    assert 'id="name-error">The name must be at most 200 characters.' in html
    assert 'aria-describedby="organizationId-error" aria-invalid="true"' in html
    assert (await runtime.hookline.list_api_keys(1, 50)).total_count == 1  # only the signed-in one


async def test_only_admins_see_and_use_the_page(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.SUBSCRIBER))
    overview = await api.get("/ui")
    assert 'href="/ui/api-keys"' not in overview.text
    token = csrf_of(overview.text)
    assert (await api.get("/ui/api-keys")).status_code == 403
    refused = await api.post("/ui/api-keys", data={"csrf": token, "organizationId": "acme", "role": "admin"})
    assert refused.status_code == 403
    assert (await runtime.hookline.list_api_keys(1, 50)).total_count == 1


async def test_key_forms_need_the_csrf_token(api: httpx.AsyncClient, runtime: Runtime) -> None:
    await sign_in(api, await new_key(runtime, "acme", Role.ADMIN))
    [mine] = (await runtime.hookline.list_api_keys(1, 50)).items
    assert (await api.post("/ui/api-keys", data={"organizationId": "a", "role": "admin"})).status_code == 403
    assert (await api.post(f"/ui/api-keys/{mine.id}/revoke", data={"csrf": "forged"})).status_code == 403
    assert (await runtime.hookline.list_api_keys(1, 50)).total_count == 1


async def test_an_owner_manages_only_its_organizations_keys(api: httpx.AsyncClient, runtime: Runtime) -> None:
    other, other_key = await runtime.hookline.create_api_key("globex", Role.SUBSCRIBER, "globex reader")
    await sign_in(api, await new_key(runtime, "acme", Role.OWNER))
    listing = await api.get("/ui/api-keys")
    assert listing.status_code == 200
    assert "globex reader" not in listing.text and 'name="organizationId"' not in listing.text
    assert '<option value="admin"' not in listing.text
    token = csrf_of(listing.text)

    refused = await api.post("/ui/api-keys", data={"csrf": token, "role": "admin"})
    assert refused.status_code == 422 and "Choose a role." in refused.text
    created = await api.post(
        "/ui/api-keys", data={"csrf": token, "organizationId": "globex", "role": "publisher", "name": "mine"}
    )
    assert created.status_code == 303
    key = KEY.search((await api.get("/ui/api-keys")).text)
    assert key
    principal = await runtime.hookline.authenticate(key.group(1))
    assert principal is not None and principal.organization_id == "acme"  # its own, whatever was posted
    assert (await api.post(f"/ui/api-keys/{other.id}/revoke", data={"csrf": token})).status_code == 404
    assert await runtime.hookline.authenticate(other_key) is not None  # not revoked
