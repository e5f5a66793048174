"""Registering OAuth2 client credentials (type 3): what is required, what is refused (the token
URL is judged like a target: SSRF guard and the TLS rule for credentials), what a PATCH keeps.

Public addresses appear only as literals: registration judges them without sending anything.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.support import assert_problem, register, registration_body

TOKEN_URL = "https://93.184.216.34/oauth/token"


def oauth2(**fields: Any) -> dict[str, Any]:
    return {
        "authorizationType": 3,
        "tokenUrl": TOKEN_URL,
        "clientId": "hookline",
        "clientSecret": "s3cret",
    } | fields


async def _errors(api: httpx.AsyncClient, headers: dict[str, str], method: str, path: str, body: Any) -> Any:
    problem = assert_problem(await api.request(method, path, headers=headers, json=body), 422)
    return {error["field"]: error["message"] for error in problem["errors"]}


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (
            {"authorizationType": "OAuth2"},
            {
                "targetAuthorization.tokenUrl": "is required for OAuth2 authorization",
                "targetAuthorization.clientId": "is required for OAuth2 authorization",
                "targetAuthorization.clientSecret": "is required for OAuth2 authorization",
            },
        ),
        (
            {"authorizationType": "Basic", "username": "u", "password": "p", "tokenUrl": TOKEN_URL},
            {"targetAuthorization.tokenUrl": "is only for OAuth2 authorization (3)"},
        ),
        (
            oauth2(scope="two  spaces"),
            {"targetAuthorization.scope": "must be scope tokens separated by single spaces (RFC 6749 §3.3)"},
        ),
        (
            oauth2(clientSecret="line\nbreak"),
            {"targetAuthorization.clientSecret": "must not contain control characters"},
        ),
        (
            oauth2(tokenUrl="https://169.254.169.254/token"),
            {
                "targetAuthorization.tokenUrl": "is not allowed: 169.254.169.254 is not a public address: Link Local,"
                " cloud metadata (169.254.0.0/16, RFC 3927)"
            },
        ),
        (
            oauth2(tokenUrl="http://93.184.216.34/token"),
            {
                "targetAuthorization.tokenUrl": "OAuth2 credentials are only sent over https://, and tokenUrl is"
                " plain http:// outside HOOKLINE_ALLOWED_TARGET_NETWORKS"
            },
        ),
        (
            oauth2(tokenUrl="ftp://example/token"),
            {"targetAuthorization.tokenUrl": "must be an absolute http:// or https:// URL"},
        ),
    ],
    ids=["missing", "not-oauth2", "scope", "control", "link-local", "plain-http", "scheme"],
)
async def test_bad_oauth2_credentials_are_refused(
    api: httpx.AsyncClient, subscriber: dict[str, str], auth: dict[str, Any], expected: dict[str, str]
) -> None:
    body = registration_body("https://93.184.216.34/hook", targetAuthorization=auth)
    assert await _errors(api, subscriber, "POST", "/api/webhook-registrations", body) == expected
    assert (await api.get("/api/webhook-registrations", headers=subscriber)).json()["totalCount"] == 0


async def test_oauth2_to_a_plain_http_target_is_refused_like_any_credentials(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    body = registration_body("http://93.184.216.34/hook", targetAuthorization=oauth2())
    assert await _errors(api, subscriber, "POST", "/api/webhook-registrations", body) == {
        "targetAuthorization": "OAuth2 credentials are only sent over https://, and targetUrl is plain"
        " http:// outside HOOKLINE_ALLOWED_TARGET_NETWORKS"
    }


async def test_a_patch_keeps_the_client_secret_only_for_the_same_client_and_token_url(
    api: httpx.AsyncClient, subscriber: dict[str, str]
) -> None:
    created = await register(
        api, subscriber, "https://93.184.216.34/hook", targetAuthorization=oauth2(scope="a")
    )
    path = f"/api/webhook-registrations/{created['id']}"
    kept = {"authorizationType": 3, "tokenUrl": TOKEN_URL, "clientId": "hookline", "scope": "a b"}
    answer = await api.patch(path, headers=subscriber, json={"targetAuthorization": kept})
    assert answer.status_code == 200, answer.text
    assert answer.json()["targetAuthorization"] == {
        "authorizationType": 3,
        "tokenUrl": TOKEN_URL,
        "clientId": "hookline",
        "scope": "a b",
        "audience": None,
    }
    moved = kept | {"tokenUrl": "https://93.184.216.35/token"}
    assert await _errors(api, subscriber, "PATCH", path, {"targetAuthorization": moved}) == {
        "targetAuthorization.clientSecret": "is required for OAuth2 authorization"
    }
    other_client = kept | {"clientId": "someone-else"}
    assert await _errors(api, subscriber, "PATCH", path, {"targetAuthorization": other_client}) == {
        "targetAuthorization.clientSecret": "is required for OAuth2 authorization"
    }
    basic = {"authorizationType": "Basic", "username": "u", "password": "p"}
    answer = await api.patch(path, headers=subscriber, json={"targetAuthorization": basic})
    assert answer.json()["targetAuthorization"] == {"authorizationType": 1, "username": "u"}
