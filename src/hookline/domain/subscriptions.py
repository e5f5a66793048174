"""What a registration's `enabledEvents` entry selects: an entity (or `*`, every domain entity),
a type (or `*`, every type) and an optional filter on the event's top-level `data` keys.

`*` never selects hookline's own entities (`Webhook`, `WebhookRegistration`): a subscriber to
everything would otherwise be told about its own webhooks' failures, unasked, and each such
announcement could fail in turn. They are named explicitly. `*` as a type selects all six,
the relation types 4..6 included.

A filter maps a key of `data` to a JSON scalar or a list of them; an event matches when every
key is present in `data` and its value equals the scalar (or one of the list). Equality is
JSON's, not Python's: `true` is not `1`, `1` is `1.0`, `null` matches only an explicit null
(a missing key never matches), and an object or a list in `data` never equals a scalar.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from hookline.domain.enums import WebhookEventType

EVERY = "*"
"""`entityName` or `type` of an entry that selects every entity or every type."""
EVERY_TYPE_ID = 0
"""How the store keeps a `*` type: no event type has the id 0."""

MAX_FILTER_KEYS = 20
MAX_FILTER_KEY_LENGTH = 200
MAX_FILTER_VALUES = 100
MAX_FILTER_STRING_LENGTH = 1000
_EXACT_FLOATS = 2**53

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class EventChoice:
    """An entry as a caller gave it: `filter` unchecked (any JSON), `type` None for every type."""

    entity_name: str
    type: WebhookEventType | None
    filter: object = None


@dataclass(frozen=True, slots=True)
class EventSelection:
    """A checked entry: the catalog's spelling (or `*`) and the filter as canonical JSON, so
    two spellings of the same filter are one value (None: no filter)."""

    entity_name: str
    type: WebhookEventType | None
    filter: str | None = None

    @property
    def type_id(self) -> int:
        return EVERY_TYPE_ID if self.type is None else self.type.value

    @property
    def specificity(self) -> int:
        """Which of several matching entries of one registration an event's Webhook refers to:
        a named entity over `*`, a named type over `*`, a filter over none."""
        return (self.entity_name != EVERY) * 4 + (self.type is not None) * 2 + (self.filter is not None)


def check_filter(raw: object) -> tuple[str | None, list[tuple[str, str]]]:
    """The canonical JSON of a filter (None for none or `{}`), and the problems found as
    (path below the filter, message): keys sorted, numbers exact (1.0 is 1), lists without
    repeats and sorted, a list of one value the value itself."""
    if raw is None:
        return None, []
    if not isinstance(raw, Mapping):
        return None, [("", "must be an object of data keys to a value or a list of values")]
    problems: list[tuple[str, str]] = []
    if len(raw) > MAX_FILTER_KEYS:
        problems.append(("", f"has {len(raw)} keys; at most {MAX_FILTER_KEYS}"))
    canonical: dict[str, object] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not key or _text_problem(key, MAX_FILTER_KEY_LENGTH):
            problems.append(("", f"keys must be 1..{MAX_FILTER_KEY_LENGTH} characters, without NUL"))
            continue
        if isinstance(value, list):
            values, trouble = _scalars(value, f".{key}")
            problems += trouble
            canonical[key] = values[0] if len(values) == 1 else values
        else:
            message = _scalar_problem(value)
            if message:
                problems.append((f".{key}", message))
            else:
                canonical[key] = _exact(value)
    if problems or not canonical:
        return None, problems
    return json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")), []


def _scalars(items: list[object], path: str) -> tuple[list[object], list[tuple[str, str]]]:
    if not items:
        return [], [(path, "must list at least one value")]
    if len(items) > MAX_FILTER_VALUES:
        return [], [(path, f"lists {len(items)} values; at most {MAX_FILTER_VALUES}")]
    problems = [(f"{path}[{i}]", m) for i, item in enumerate(items) if (m := _scalar_problem(item))]
    unique = {_identity(item): _exact(item) for item in items} if not problems else {}
    return [unique[key] for key in sorted(unique)], problems


def _text_problem(text: str, longest: int) -> str | None:
    """Too long, or what no column can store: NUL, or an unpaired surrogate (JSON's `\\ud800`)."""
    if len(text) > longest:
        return f"at most {longest} characters"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "must not contain unpaired surrogates"
    return None if "\x00" not in text else "must not contain NUL characters"


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, str):
        return _text_problem(value, MAX_FILTER_STRING_LENGTH)
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if value is None or isinstance(value, (bool, int, float)):
        return None
    return "must be a string, number, true, false or null (or a list of them), not an object or a list"


def _exact(value: object) -> object:
    """An integral float as the integer it is (JSON has one kind of number)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_FLOATS:
        return int(value)
    return value


def _identity(value: object) -> str:
    return json.dumps(_exact(value))


def matches(filter_json: str | None, data: object) -> bool:
    """Whether an event's `data` passes the filter (no filter: every event)."""
    if filter_json is None:
        return True
    if not isinstance(data, Mapping):
        return False
    for key, wanted in _parsed(filter_json).items():
        if key not in data or not any(same_json(data[key], value) for value in wanted):
            return False
    return True


@functools.lru_cache(maxsize=1024)
def _parsed(filter_json: str) -> dict[str, tuple[Scalar, ...]]:
    parsed = json.loads(filter_json)
    return {key: tuple(value) if isinstance(value, list) else (value,) for key, value in parsed.items()}


def same_json(a: object, b: object) -> bool:
    """JSON equality of two scalars: Python's `True == 1` and `0 == False` do not hold here."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return isinstance(a, str) and isinstance(b, str) and a == b
