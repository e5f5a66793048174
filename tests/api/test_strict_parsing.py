"""Strict parsing: JSON bodies only in JSON media types (415), no key twice (422 naming it),
booleans only as true/false, and method errors that say which methods a path takes."""

from __future__ import annotations

import importlib
import pkgutil
import re

import httpx
import pytest

import hookline.api.routers
from hookline.api.json_body import StrictJsonRoute
from tests.api.support import assert_problem, register, registration_body

EVENT = b'{"entityName": "Process", "type": 2, "entityId": "42"}'


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonp",
        "application/json; charset=latin-1",
        "",
        None,
    ],
)
async def test_a_json_body_in_another_media_type_is_415(
    api: httpx.AsyncClient, publisher: dict[str, str], content_type: str | None
) -> None:
    headers = publisher | ({} if content_type is None else {"Content-Type": content_type})
    response = await api.post("/api/events", headers=headers, content=EVENT)

    problem = assert_problem(response, 415)
    assert response.headers["accept"] == "application/json"
    assert "JSON" in problem["detail"]
    listed = await api.get("/api/webhooks", headers=publisher | {"Content-Type": "text/plain"})
    assert listed.status_code != 415  # a request without a body is not judged by its Content-Type


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=UTF-8",
        "application/cloudevents+json",
    ],
)
async def test_json_media_types_are_accepted(
    api: httpx.AsyncClient, publisher: dict[str, str], content_type: str
) -> None:
    response = await api.post(
        "/api/events", headers=publisher | {"Content-Type": content_type}, content=EVENT
    )
    assert response.status_code == 202, response.text


async def test_a_duplicated_organization_is_refused_not_resolved_to_the_last(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    """For an admin, `organizationId` twice would otherwise publish into the second."""
    await register(api, admin, "http://127.0.0.1:9/hook", organizationId="globex")
    body = b'{"organizationId": "acme", "entityName": "Process", "type": 2, "entityId": "1", "organizationId": "globex"}'

    response = await api.post(
        "/api/events", headers=admin | {"Content-Type": "application/json"}, content=body
    )

    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"field": "organizationId", "message": "appears more than once; each key may be given once"}
    ]
    webhooks = await api.get("/api/webhooks", headers=admin, params={"organizationId": "globex"})
    assert webhooks.json()["totalCount"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/webhook-registrations",
            b'{"targetUrl": "http://127.0.0.1:9/", "enabledEvents": [{"entityName": "Process", "type": 1, "type": 2}]}',
            "enabledEvents[0].type",
        ),
        (
            "/api/events",
            b'{"entityName": "Process", "type": 2, "entityId": "1", "data": {"a": {"b": 1, "b": 2}}}',
            "data.a.b",
        ),
        (
            "/api/events/batch",
            b'{"events": [{"entityName": "Process", "type": 2, "entityId": "1"},'
            b' {"entityName": "Process", "type": 2, "entityId": "2", "entityId": "3"}]}',
            "events[1].entityId",
        ),
    ],
)
async def test_a_duplicated_key_is_named_wherever_it_is(
    api: httpx.AsyncClient, admin: dict[str, str], path: str, body: bytes, field: str
) -> None:
    response = await api.post(path, headers=admin | {"Content-Type": "application/json"}, content=body)
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == [field]


@pytest.mark.parametrize("value", [0, 1, "false", "true", "yes", [], {}])
async def test_booleans_are_true_or_false_only(
    api: httpx.AsyncClient, subscriber: dict[str, str], value: object
) -> None:
    created = await register(api, subscriber, "http://127.0.0.1:9/hook")
    path = f"/api/webhook-registrations/{created['id']}"

    patched = await api.patch(path, headers=subscriber, json={"isActive": value})
    problem = assert_problem(patched, 422)
    assert [error["field"] for error in problem["errors"]] == ["isActive"]
    assert "must be true or false" in problem["errors"][0]["message"]
    assert (await api.get(path, headers=subscriber)).json()["isActive"] is True

    fresh = registration_body("http://127.0.0.1:9/other", shouldGroup=value)
    assert_problem(await api.post("/api/webhook-registrations", headers=subscriber, json=fresh), 422)
    searched = await api.post(
        "/api/webhook-registrations/search", headers=subscriber, json={"isActive": value}
    )
    assert_problem(searched, 422)


async def test_true_and_false_still_work(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    created = await register(api, subscriber, "http://127.0.0.1:9/hook", shouldGroup=True)
    path = f"/api/webhook-registrations/{created['id']}"
    assert created["shouldGroup"] is True
    patched = await api.patch(path, headers=subscriber, json={"isActive": False, "shouldGroup": False})
    assert (patched.json()["isActive"], patched.json()["shouldGroup"]) == (False, False)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/webhook-registrations", "GET, POST, OPTIONS"),
        ("DELETE", "/api/events", "POST, OPTIONS"),
        ("PUT", "/api/webhook-registrations/reg_x", "DELETE, GET, PATCH, OPTIONS"),
        ("POST", "/api/webhooks/wh_x", "GET, OPTIONS"),
        ("GET", "/api/webhooks/wh_x/retry", "POST, OPTIONS"),
        ("PUT", "/api/webhook-registrations/search", "POST, OPTIONS"),  # not /{registration_id}'s
        ("DELETE", "/ui/login", "GET, POST, OPTIONS"),  # the UI is not in the OpenAPI description
    ],
)
async def test_405_says_every_method_the_path_takes(
    api: httpx.AsyncClient, subscriber: dict[str, str], method: str, path: str, allow: str
) -> None:
    response = await api.request(method, path, headers=subscriber)
    problem = assert_problem(response, 405)
    assert response.headers["allow"] == allow
    assert problem["detail"] == f"{method} is not allowed here; use {allow}"

    options = await api.options(path, headers=subscriber)
    assert (options.status_code, options.headers["allow"], options.content) == (204, allow, b"")


async def test_options_on_an_unknown_path_is_404(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    assert_problem(await api.options("/api/nothing-here", headers=subscriber), 404)


def test_every_api_router_parses_json_strictly() -> None:
    """A router added later without `json_router` would take text/plain and duplicate keys."""
    for module_info in pkgutil.iter_modules(hookline.api.routers.__path__):
        module = importlib.import_module(f"hookline.api.routers.{module_info.name}")
        assert all(isinstance(route, StrictJsonRoute) for route in module.router.routes), module_info.name


@pytest.mark.parametrize("value", [0, 1767614400, True, [2026], {"at": "2026-01-05"}])
async def test_a_timestamp_is_iso_8601_text_not_a_number(
    api: httpx.AsyncClient, publisher: dict[str, str], value: object
) -> None:
    """pydantic would read `0` as 1970-01-01: a unit mix-up, not a timestamp."""
    body = {"entityName": "Process", "type": 2, "entityId": "1", "occurredAt": value}
    problem = assert_problem(await api.post("/api/events", headers=publisher, json=body), 422)
    assert [error["field"] for error in problem["errors"]] == ["occurredAt"]


@pytest.mark.parametrize(("value", "stored"), [(42, "42"), (42.0, "42"), (-(2**53 - 1), str(-(2**53 - 1)))])
async def test_integer_entity_ids_are_taken_as_text(
    api: httpx.AsyncClient, admin: dict[str, str], publisher: dict[str, str], value: object, stored: str
) -> None:
    await register(api, admin, "http://127.0.0.1:9/hook", organizationId="acme")
    published = await api.post(
        "/api/events", headers=publisher, json={"entityName": "Process", "type": 2, "entityId": value}
    )
    [webhook_id] = published.json()["webhookIds"]
    assert (await api.get(f"/api/webhooks/{webhook_id}", headers=admin)).json()["entityId"] == stored


@pytest.mark.parametrize("value", [2**53, -(2**53), 1.5, 10**30])
async def test_integer_entity_ids_beyond_what_json_keeps_exactly_are_refused(
    api: httpx.AsyncClient, publisher: dict[str, str], value: object
) -> None:
    body = {"entityName": "Process", "type": 2, "entityId": value}
    problem = assert_problem(await api.post("/api/events", headers=publisher, json=body), 422)
    assert [error["field"] for error in problem["errors"]] == ["entityId"]


async def test_a_batch_names_the_event_an_admin_left_without_organization(
    api: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    event = {"entityName": "Process", "type": 2, "entityId": "1"}
    body = {"events": [event | {"organizationId": "acme"}, event]}
    problem = assert_problem(await api.post("/api/events/batch", headers=admin, json=body), 422)
    assert problem["errors"] == [
        {"field": "events[1].organizationId", "message": "is required for admin keys"}
    ]


async def test_the_description_says_what_is_accepted(api: httpx.AsyncClient) -> None:
    """Generated clients and fuzzers read the same rules the parser applies."""
    described = (await api.get("/openapi.json")).json()
    schemas = described["components"]["schemas"]
    entity_name = re.compile(schemas["EventIn"]["properties"]["entityName"]["pattern"])
    assert entity_name.match(" process ") and entity_name.match("WorkOrder")
    assert not entity_name.match("Webhook")  # published only by hookline itself
    event_type = schemas["EnabledEventIn"]["properties"]["type"]["anyOf"]
    assert event_type[0] == {"type": "integer", "enum": [1, 2, 3, 4, 5, 6]}
    assert re.compile(event_type[1]["pattern"]).match("add_to_relation")
    patch = schemas["RegistrationPatch"]["properties"]
    assert patch["isActive"] == {"type": "boolean", "title": "Isactive"}  # omit it, never null
    assert {"type": "null"} in patch["description"]["anyOf"]  # null clears a description
    assert schemas["EventIn"]["properties"]["occurredAt"]["anyOf"][0] == {
        "type": "string",
        "format": "date-time",
    }
