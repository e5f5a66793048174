"""The parts of an `enabledEvents` entry beyond a plain (entity, type) pair: `*` for every type,
and the data filter, described to OpenAPI exactly as domain/subscriptions.py checks it (the use
case judges it, so the API and the UI answer the same messages, with field pointers)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from hookline.api.spellings import NO_NUL, enum_pattern
from hookline.domain.enums import WebhookEventType
from hookline.domain.subscriptions import (
    EVERY,
    MAX_FILTER_KEY_LENGTH,
    MAX_FILTER_KEYS,
    MAX_FILTER_STRING_LENGTH,
    MAX_FILTER_VALUES,
)


def _selected_type(value: object) -> WebhookEventType | None:
    return None if value == EVERY else WebhookEventType.parse(value)


SelectedType = Annotated[
    WebhookEventType | None,
    BeforeValidator(_selected_type),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "enum": [member.value for member in WebhookEventType]},
                {"type": "string", "pattern": enum_pattern(WebhookEventType)},
                {"type": "string", "enum": [EVERY]},
            ],
            "description": f'"*" (every type), or the id or the case-insensitive name: {WebhookEventType.describe()}',
        },
        mode="validation",
    ),
]
"""None stands for `*`."""

ShownType = Annotated[
    WebhookEventType | None,
    BeforeValidator(lambda kind: None if kind == EVERY else kind),  # an answer read back
    PlainSerializer(lambda kind: EVERY if kind is None else kind.value, return_type=int | str),
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "string", "enum": [EVERY]}]}, mode="serialization"
    ),
]

_SCALAR = {
    "anyOf": [
        {"type": "string", "maxLength": MAX_FILTER_STRING_LENGTH, "pattern": NO_NUL},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
}
DataFilter = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": MAX_FILTER_KEYS,
            "propertyNames": {"minLength": 1, "maxLength": MAX_FILTER_KEY_LENGTH, "pattern": NO_NUL},
            "additionalProperties": {
                "anyOf": [
                    *_SCALAR["anyOf"],
                    {"type": "array", "items": _SCALAR, "minItems": 1, "maxItems": MAX_FILTER_VALUES},
                ]
            },
            "description": "Top-level `data` keys to a value or a list of values: an event matches when "
            "each key is present and its value equals the value (or one of the list), by JSON "
            "equality (true is not 1; 1 is 1.0). {} or null: every event.",
        },
        mode="validation",
    ),
]
