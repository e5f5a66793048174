"""EVERY error is application/problem+json, and bad input is always 4xx, never 5xx."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from hookline.runtime import Runtime
from tests.api.support import PROBLEM_JSON, assert_problem, error_fields, publish, register
from tests.conftest import START, Receiver


async def test_unknown_routes_are_404_problems(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for path in ["/nope", "/api", "/api/nope", "/api/webhooks/wh_1/nope", "/api/webhook-registrations/a/b/c"]:
        assert_problem(await api.get(path, headers=admin), 404)
        assert_problem(await api.post(path, headers=admin, json={}), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/webhook-registrations"),
        ("DELETE", "/api/webhook-registrations"),
        ("PUT", "/api/webhook-registrations/reg_x"),
        ("GET", "/api/webhook-registrations/reg_x/rotate-secret"),
        ("GET", "/api/events"),
        ("DELETE", "/api/webhooks"),
        ("PATCH", "/api/webhooks/wh_x"),
        ("GET", "/api/webhooks/wh_x/abort"),
        ("PATCH", "/api/api-keys"),
        ("GET", "/api/api-keys/key_x"),
        ("POST", "/healthz"),
    ],
)
async def test_wrong_method_is_405_problem(
    api: httpx.AsyncClient, admin: dict[str, str], method: str, path: str
) -> None:
    response = await api.request(method, path, headers=admin)
    assert_problem(response, 405)
    assert "allow" in response.headers


async def test_malformed_json_is_422_problem(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber | {"Content-Type": "application/json"},
        content=b'{"targetUrl": "http://127.0.0.1/x",',
    )
    body = assert_problem(response, 422)
    assert body["errors"] == [{"field": "body", "message": "is not valid JSON"}]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_wrong_content_type_is_415_problem(
    api: httpx.AsyncClient, subscriber: dict[str, str], content_type: str
) -> None:
    body = json.dumps(
        {"targetUrl": "http://127.0.0.1/x", "enabledEvents": [{"entityName": "Process", "type": 1}]}
    )
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber | {"Content-Type": content_type},
        content=body.encode(),
    )
    assert_problem(response, 415)  # the contract allows 415 or 422; hookline answers 415
    assert (await api.get("/api/webhook-registrations", headers=subscriber)).json()["totalCount"] == 0


@pytest.mark.parametrize(
    "body", [b"[]", b'[{"entityName": "Process", "type": 2, "entityId": "1"}]', b'"text"', b"42", b"null"]
)
async def test_body_that_is_not_an_object_is_422(
    api: httpx.AsyncClient, publisher: dict[str, str], body: bytes
) -> None:
    response = await api.post(
        "/api/events", headers=publisher | {"Content-Type": "application/json"}, content=body
    )
    assert_problem(response, 422)


async def test_missing_body_is_422(api: httpx.AsyncClient, publisher: dict[str, str]) -> None:
    assert_problem(await api.post("/api/events", headers=publisher), 422)


async def test_unknown_fields_are_refused(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    response = await api.post(
        "/api/webhook-registrations",
        headers=subscriber,
        json={
            "targetUrl": "http://127.0.0.1/x",
            "enabledEvents": [{"entityName": "Process", "type": 1, "colour": "red"}],
            "secret": "mine",
        },
    )
    assert error_fields(response) == {"enabledEvents[0].colour", "secret"}


async def test_huge_bodies_are_413_on_every_endpoint(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    huge = b'{"description": "' + b"x" * (1024 * 1024) + b'"}'
    for method, path in [
        ("POST", "/api/webhook-registrations"),
        ("PATCH", "/api/webhook-registrations/reg_x"),
        ("POST", "/api/webhook-registrations/search"),
        ("POST", "/api/events"),
        ("POST", "/api/api-keys"),
    ]:
        response = await api.request(
            method, path, headers=admin | {"Content-Type": "application/json"}, content=huge
        )
        assert_problem(response, 413)


async def test_huge_body_without_declared_length_is_413(
    api: httpx.AsyncClient, publisher: dict[str, str]
) -> None:
    async def chunks() -> object:
        yield b'{"entityName": "Process", "type": 2, "entityId": "1", "data": "'
        for _ in range(64):
            yield b"x" * 16384
        yield b'"}'

    response = await api.post(
        "/api/events", headers=publisher | {"Content-Type": "application/json"}, content=chunks()
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/events", {"entityName": "P" * 10_000, "type": 2, "entityId": "1"}, "entityName"),
        ("/api/events", {"entityName": "Process", "type": 2, "entityId": "1" * 10_000}, "entityId"),
        ("/api/events", {"entityName": "Process", "type": "x" * 10_000, "entityId": "1"}, "type"),
        ("/api/events", {"entityName": "Process", "type": 2, "entityId": "1", "id": "i" * 10_000}, "id"),
        (
            "/api/webhook-registrations",
            {
                "targetUrl": "http://127.0.0.1/" + "p" * 10_000,
                "enabledEvents": [{"entityName": "Unit", "type": 1}],
            },
            "targetUrl",
        ),
        (
            "/api/webhook-registrations",
            {
                "targetUrl": "http://127.0.0.1/",
                "enabledEvents": [{"entityName": "Unit", "type": 1}],
                "description": "d" * 10_000,
            },
            "description",
        ),
        (
            "/api/webhook-registrations",
            {
                "targetUrl": "http://127.0.0.1/",
                "enabledEvents": [{"entityName": "Unit", "type": 1}],
                "targetAuthorization": {"authorizationType": 1, "username": "u" * 10_000, "password": "p"},
            },
            "targetAuthorization.username",
        ),
        (
            "/api/webhook-registrations",
            {"targetUrl": "http://127.0.0.1/", "enabledEvents": [{"entityName": "Unit", "type": 1}] * 201},
            "enabledEvents",
        ),
        ("/api/webhook-registrations/search", {"targetUrl": "http://127.0.0.1/" + "p" * 10_000}, "targetUrl"),
    ],
)
async def test_very_long_strings_are_422(
    api: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    response = await api.post(path, headers=admin, json=body | {"organizationId": "acme"})
    assert field in error_fields(response)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/events", {"entityName": None, "type": 2, "entityId": "1"}, "entityName"),
        ("/api/events", {"entityName": "Process", "type": None, "entityId": "1"}, "type"),
        ("/api/events", {"entityName": "Process", "type": 2, "entityId": None}, "entityId"),
        (
            "/api/webhook-registrations",
            {"targetUrl": None, "enabledEvents": [{"entityName": "Unit", "type": 1}]},
            "targetUrl",
        ),
        (
            "/api/webhook-registrations",
            {"targetUrl": "http://127.0.0.1/", "enabledEvents": None},
            "enabledEvents",
        ),
        (
            "/api/webhook-registrations",
            {"targetUrl": "http://127.0.0.1/", "enabledEvents": [None]},
            "enabledEvents[0]",
        ),
        (
            "/api/webhook-registrations",
            {
                "targetUrl": "http://127.0.0.1/",
                "enabledEvents": [{"entityName": "Unit", "type": 1}],
                "shouldGroup": None,
            },
            "shouldGroup",
        ),
        ("/api/webhook-registrations/search", {"pageSize": None}, "pageSize"),
        ("/api/api-keys", {"organizationId": "acme", "role": None}, "role"),
    ],
)
async def test_null_where_not_allowed_is_422(
    api: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    response = await api.post(path, headers=admin, json={"organizationId": "acme"} | body)
    assert field in error_fields(response)


# No 5xx, whatever the body -------------------------------------------------------------------

NUL = "\u0000"
EVENT = {"entityName": "Process", "type": 2, "entityId": "1"}
REGISTRATION = {"targetUrl": "http://127.0.0.1/fuzz", "enabledEvents": [{"entityName": "Unit", "type": 1}]}
RAW_BODIES: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b"[{}]",
    b'"text"',
    b"42",
    b"true",
    b"{",
    b"{'a': 1}",
    b'{"a": 1,}',
    b"NaN",
    b"\xff\xfe\xfd",
    b"\x00",
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"1" * 5000,
    b'{"entityName": "Process", "type": 2, "entityId": "1", "data": NaN}',
    b'{"entityName": "Process", "type": 2, "entityId": "1", "data": [Infinity, -Infinity]}',
    b'{"entityName": "Process", "type": 2, "entityId": "\\ud800"}',
    b'{"entityName": "Process", "type": 2, "entityId": "1", "data": {"k": "\\udfff"}}',
    b'{"entityName": "Process", "type": 2, "entityId": "1", "data": {"\\ud800": 1}}',
    b'{"entityName": "Process", "type": 2, "entityId": "1", "groupKey": "\\ud83d"}',
    b'{"entityName": "Process", "type": 2, "entityId": "1", "id": "\\udc00"}',
    b'{"targetUrl": "http://127.0.0.1/\\ud800", "enabledEvents": [{"entityName": "Unit", "type": 1}]}',
    b'{"targetUrl": "http://127.0.0.1/", "enabledEvents": [{"entityName": "Unit", "type": 1}],'
    b' "description": "\\ud800"}',
    b'{"entityName": "Process", "type": 1' + b"0" * 5000 + b', "entityId": "1"}',
    b'{"pageNumber": 1' + b"0" * 5000 + b"}",
    *(
        b'{"entityName": "Process", "type": 2, "entityId": "1", "data": ' + b"[" * depth + b"]" * depth + b"}"
        for depth in (500, 800, 900, 950, 990, 5000)
    ),
    b'{"entityName": "Process", "type": 2, "entityId": "1", "data": ' + b'{"a":' * 990 + b"1" + b"}" * 991,
]


def _with_each(base: dict[str, object], field: str, values: list[object]) -> list[dict[str, object]]:
    return [base | {field: value} for value in values]


NASTY_VALUES: list[object] = [
    None,
    "",
    " ",
    NUL,
    f"a{NUL}b",
    "\u202e\u200b",
    "😀" * 10,
    "x" * 100_000,
    0,
    -1,
    2**63,
    10**30,
    -(10**30),
    1.5,
    1e308,
    True,
    [],
    [None],
    {},
    {"$ne": None},
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "http://127.0.0.1:99999/",
    "http://[::1/",
    "http://" + "a" * 64 + ".example/",
    "http://a..b/",
    "http://.../",
    "http://%00/",
    "http://127.0.0.1/\u0000",
    "http://\u0000/",
    "https://xn--/",
    "http://[fe80::1%25eth0]/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://0/",
]
EVENT_BODIES: list[object] = [
    *(
        body
        for field in [
            "entityId",
            "entityName",
            "type",
            "id",
            "groupKey",
            "occurredAt",
            "data",
            "organizationId",
        ]
        for body in _with_each(EVENT, field, NASTY_VALUES)
    ),
    EVENT | {"data": {"deep": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}},
]
REGISTRATION_BODIES: list[object] = [
    *(
        body
        for field in [
            "targetUrl",
            "enabledEvents",
            "description",
            "expiresAt",
            "shouldGroup",
            "shouldGroupContinueAfterFail",
            "organizationId",
            "isActive",
            "targetAuthorization",
        ]
        for body in _with_each(REGISTRATION, field, NASTY_VALUES)
    ),
    *(
        REGISTRATION | {"targetAuthorization": {"authorizationType": 1, "username": value, "password": value}}
        for value in NASTY_VALUES
    ),
    *(
        REGISTRATION | {"targetAuthorization": {"authorizationType": value, "username": "u", "password": "p"}}
        for value in NASTY_VALUES
    ),
    *(REGISTRATION | {"enabledEvents": [{"entityName": value, "type": 1}]} for value in NASTY_VALUES),
    *(REGISTRATION | {"enabledEvents": [{"entityName": "Unit", "type": value}]} for value in NASTY_VALUES),
]
SEARCH_BODIES: list[object] = [
    {field: value}
    for field in ["pageNumber", "pageSize", "targetUrl", "entityName", "type", "isActive", "organizationId"]
    for value in NASTY_VALUES
]
RECOVER_BODIES: list[object] = [
    *({"since": value} for value in NASTY_VALUES),
    *({"since": START.isoformat(), "until": value} for value in NASTY_VALUES),
    *({"since": START.isoformat(), "states": value} for value in NASTY_VALUES),
    *({"since": START.isoformat(), "states": [value]} for value in NASTY_VALUES),
    *({"since": START.isoformat(), "dryRun": value} for value in NASTY_VALUES),
]
KEY_BODIES: list[object] = [
    *({"role": value, "organizationId": "acme"} for value in NASTY_VALUES),
    *({"role": "publisher", "organizationId": value} for value in NASTY_VALUES),
    *({"role": "publisher", "organizationId": "acme", "name": value} for value in NASTY_VALUES),
]
QUERY_VALUES = ["", " ", "%00", "\u0000", "x" * 5000, "-1", "0", "10" * 20, "1e3", "1.5", "😀", "null"]


@dataclass
class Ids:
    registration: str
    webhook: str
    key: str


@pytest.fixture
async def ids(
    api: httpx.AsyncClient,
    admin: dict[str, str],
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> Ids:
    registration = await register(api, subscriber, receiver.url())
    [webhook_id] = (await publish(api, publisher))["webhookIds"]
    await runtime.worker.deliver_due()
    key = (await api.post("/api/api-keys", headers=admin, json={"organizationId": "x", "role": 2})).json()
    return Ids(registration["id"], webhook_id, key["id"])


def _body_routes(ids: Ids) -> list[tuple[str, str, str, list[object]]]:
    """Each endpoint that takes a body, the role it admits, and the bodies aimed at it."""
    registration = f"/api/webhook-registrations/{ids.registration}"
    webhook_path = f"/api/webhooks/{ids.webhook}"
    return [
        ("POST", "/api/api-keys", "admin", KEY_BODIES),
        ("POST", "/api/webhook-registrations", "subscriber", REGISTRATION_BODIES),
        ("POST", "/api/webhook-registrations", "admin", REGISTRATION_BODIES),
        ("PATCH", registration, "subscriber", REGISTRATION_BODIES),
        ("POST", "/api/webhook-registrations/search", "subscriber", SEARCH_BODIES),
        ("POST", "/api/webhook-registrations/search", "admin", SEARCH_BODIES),
        ("POST", f"{registration}/recover", "subscriber", RECOVER_BODIES),
        ("POST", f"{registration}/rotate-secret", "subscriber", []),
        ("POST", "/api/events", "publisher", EVENT_BODIES),
        ("POST", "/api/events", "admin", EVENT_BODIES),
        ("POST", f"{webhook_path}/abort", "subscriber", []),
        ("POST", f"{webhook_path}/resolve", "subscriber", []),
    ]


def _get_routes(ids: Ids) -> list[str]:
    return [
        "/api/api-keys",
        "/api/webhook-registrations",
        f"/api/webhook-registrations/{ids.registration}/webhooks",
        "/api/webhooks",
        f"/api/webhooks/{ids.webhook}/webhook-attempts",
        "/api/entities",
    ]


def _check(failures: list[str], response: httpx.Response, what: str) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {what}: {response.text[:300]}")
    elif response.status_code >= 400:
        content_type = response.headers.get("content-type", "").split(";")[0]
        body = response.json() if content_type == PROBLEM_JSON else {}
        if (
            content_type != PROBLEM_JSON
            or body.get("status") != response.status_code
            or not body.get("detail")
        ):
            failures.append(f"not a problem: {response.status_code} {what}: {response.text[:300]}")


async def test_no_body_ever_causes_a_5xx(
    api: httpx.AsyncClient,
    ids: Ids,
    admin: dict[str, str],
    subscriber: dict[str, str],
    publisher: dict[str, str],
) -> None:
    keys = {"admin": admin, "subscriber": subscriber, "publisher": publisher}
    failures: list[str] = []
    for method, path, role, bodies in _body_routes(ids):
        headers = keys[role] | {"Content-Type": "application/json"}
        raw_bodies = RAW_BODIES + [json.dumps(body).encode("utf-8", "surrogatepass") for body in bodies]
        for raw in raw_bodies:
            response = await api.request(method, path, headers=headers, content=raw)
            _check(failures, response, f"{role} {method} {path} {raw[:120]!r}")
    assert failures == [], "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


async def test_no_path_or_query_value_ever_causes_a_5xx(
    api: httpx.AsyncClient, ids: Ids, admin: dict[str, str], subscriber: dict[str, str]
) -> None:
    failures: list[str] = []
    for value in QUERY_VALUES:
        for name in [
            "pageNumber",
            "pageSize",
            "registrationId",
            "state",
            "entityName",
            "entityId",
            "organizationId",
        ]:
            for path in _get_routes(ids):
                for headers in (admin, subscriber):
                    response = await api.get(path, headers=headers, params={name: value})
                    _check(failures, response, f"GET {path}?{name}={value[:40]!r}")
        segment = quote(value, safe="")
        for method, path in [
            ("GET", "/api/webhook-registrations/{}"),
            ("PATCH", "/api/webhook-registrations/{}"),
            ("DELETE", "/api/webhook-registrations/{}"),
            ("POST", "/api/webhook-registrations/{}/rotate-secret"),
            ("POST", "/api/webhook-registrations/{}/test"),
            ("GET", "/api/webhook-registrations/{}/webhooks"),
            ("GET", "/api/webhooks/{}"),
            ("GET", "/api/webhooks/{}/webhook-attempts"),
            ("POST", "/api/webhooks/{}/abort"),
            ("POST", "/api/webhooks/{}/resolve"),
            ("POST", "/api/webhooks/{}/retry"),
            ("DELETE", "/api/api-keys/{}"),
        ]:
            target = path.format(segment)
            response = await api.request(method, target, headers=admin, json={"description": "x"})
            _check(failures, response, f"{method} {target[:80]}")
    assert failures == [], "\n".join(failures[:40]) + f"\n({len(failures)} in all)"


# The faults the loops above found, pinned one by one -------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/events", EVENT | {"occurredAt": "9999-12-31T23:59:59-01:00"}, "occurredAt"),
        ("/api/events", EVENT | {"occurredAt": "0001-01-01T00:00:00+01:00"}, "occurredAt"),
        ("/api/events", EVENT | {"entityId": f"4{NUL}2"}, "entityId"),
        ("/api/events", EVENT | {"groupKey": NUL}, "groupKey"),
        ("/api/events", EVENT | {"id": NUL}, "id"),
        ("/api/webhook-registrations", REGISTRATION | {"targetUrl": "http://a..b/"}, "targetUrl"),
        (
            "/api/webhook-registrations",
            REGISTRATION | {"targetUrl": "http://" + "a" * 64 + ".test/"},
            "targetUrl",
        ),
        ("/api/webhook-registrations", REGISTRATION | {"description": f"a{NUL}b"}, "description"),
        (
            "/api/webhook-registrations",
            REGISTRATION | {"expiresAt": "9999-12-31T23:59:59-01:00"},
            "expiresAt",
        ),
        (
            "/api/webhook-registrations",
            REGISTRATION
            | {"targetAuthorization": {"authorizationType": 1, "username": NUL, "password": "p"}},
            "targetAuthorization.username",
        ),
        ("/api/webhook-registrations/search", {"pageNumber": 10**10}, "pageNumber"),
        ("/api/api-keys", {"organizationId": NUL, "role": 2}, "organizationId"),
        ("/api/api-keys", {"organizationId": "acme", "role": 2, "name": NUL}, "name"),
    ],
)
async def test_unstorable_or_out_of_range_values_are_422(
    api: httpx.AsyncClient, admin: dict[str, str], path: str, body: dict[str, object], field: str
) -> None:
    response = await api.post(path, headers=admin, json={"organizationId": "acme"} | body)
    assert field in error_fields(response)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"entityName": "Process", "type": 2, "entityId": "\\ud800"}',
        b'{"entityName": "Process", "type": 2, "entityId": "1", "data": {"k": "\\udfff"}}',
        b'{"entityName": "Process", "type": 2, "entityId": "1", "data": {"\\ud800": 1}}',
    ],
)
async def test_unpaired_surrogates_are_422(
    api: httpx.AsyncClient, publisher: dict[str, str], raw: bytes
) -> None:
    response = await api.post(
        "/api/events", headers=publisher | {"Content-Type": "application/json"}, content=raw
    )
    assert_problem(response, 422)


async def test_nul_inside_event_data_is_kept(
    api: httpx.AsyncClient,
    subscriber: dict[str, str],
    publisher: dict[str, str],
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    await register(api, subscriber, receiver.url())
    await publish(api, publisher, data={"text": f"a{NUL}b"})
    assert await runtime.worker.deliver_due() == 1
    assert json.loads(receiver.requests[0].body)["data"] == {"text": f"a{NUL}b"}


async def test_page_number_is_bounded(api: httpx.AsyncClient, subscriber: dict[str, str]) -> None:
    too_far = await api.get("/api/webhooks", headers=subscriber, params={"pageNumber": 10**10})
    assert error_fields(too_far) == {"pageNumber"}
    farthest = await api.get("/api/webhooks", headers=subscriber, params={"pageNumber": 10**9})
    assert farthest.status_code == 200
    assert farthest.json()["items"] == []


@pytest.mark.parametrize(
    "url",
    ["/api/webhooks/%00", "/api/webhook-registrations/a%00b/webhooks", "/api/webhooks?entityId=%00"],
)
async def test_nul_in_the_url_is_422(api: httpx.AsyncClient, subscriber: dict[str, str], url: str) -> None:
    body = assert_problem(await api.get(url, headers=subscriber), 422)
    assert body["errors"] == [{"field": "url", "message": "must not contain NUL characters"}]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"entityName": "Process", "type": 2, "entityId": "1", "data": NaN}',
        b'{"entityName": "Process", "type": 2, "entityId": "1", "data": {"x": [Infinity]}}',
        b'{"entityName": "Process", "type": 2, "entityId": "1", "data": -Infinity}',
    ],
)
async def test_nan_and_infinity_are_not_json(
    api: httpx.AsyncClient, publisher: dict[str, str], raw: bytes
) -> None:
    response = await api.post(
        "/api/events", headers=publisher | {"Content-Type": "application/json"}, content=raw
    )
    assert error_fields(response) == {"data"}


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe\xfd",
        b"[" * 100_000,
        b"1" * 5000,
        b'{"entityName": "Process", "type": 1' + b"0" * 5000 + b"}",
    ],
    ids=["not-utf8", "too-deep", "too-many-digits", "huge-number"],
)
async def test_bodies_the_parser_cannot_read_are_422(
    api: httpx.AsyncClient, publisher: dict[str, str], raw: bytes
) -> None:
    response = await api.post(
        "/api/events", headers=publisher | {"Content-Type": "application/json"}, content=raw
    )
    body = assert_problem(response, 422)
    assert body["errors"] == [{"field": "body", "message": "is not valid JSON"}]
