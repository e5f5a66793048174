"""The OpenAPI description says what the service really answers: problem+json for every error.

FastAPI documents only its own 422 shape; hookline answers RFC 9457 problems instead, and any
operation may also answer 400, 401, 403, 404, 409, 413, 415, 429 or 503.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from hookline.api.problems import MEDIA_TYPE
from hookline.api.spellings import names_pattern
from hookline.domain.catalog import Catalog
from hookline.domain.subscriptions import EVERY

PROBLEM_STATUSES = (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "existingId": {"type": "string"},
    },
}


def install_openapi(app: FastAPI, catalog: Catalog) -> None:
    def describe() -> dict[str, Any]:
        if app.openapi_schema is None:
            described = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            app.openapi_schema = _with_entity_names(_with_problems(described), catalog)
        return app.openapi_schema

    app.openapi = describe  # type: ignore[method-assign]


def _with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    problem = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in PROBLEM_STATUSES:
                responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": problem}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for fastapi_only in ("HTTPValidationError", "ValidationError"):
        components.pop(fastapi_only, None)
    components["Problem"] = PROBLEM_SCHEMA
    return schema


def _with_entity_names(schema: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """`entityName` inputs name the catalog (events only its domain entities): the description
    says which names are valid, so generated requests and clients know it too."""
    components = schema.get("components", {}).get("schemas", {})
    subscribable = names_pattern(catalog.names)
    targets = [
        (
            components.get("EventIn", {}).get("properties", {}).get("entityName"),
            names_pattern(catalog.domain_names),
        ),
        (
            components.get("EnabledEventIn", {}).get("properties", {}).get("entityName"),
            names_pattern(catalog.names, EVERY),
        ),
        (components.get("RegistrationSearch", {}).get("properties", {}).get("entityName"), subscribable),
    ]
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("name") == "entityName" and parameter.get("in") == "query":
                    targets.append((parameter.get("schema"), subscribable))
    for property_schema, pattern in targets:
        if property_schema is None:
            continue
        for branch in property_schema.get("anyOf", [property_schema]):
            if branch.get("type") == "string":
                branch["pattern"] = pattern
    return schema
