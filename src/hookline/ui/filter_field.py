"""The registration form's "Filter on data (JSON)": one filter for every chosen event, read as
JSON here and judged by the use case like the API's `filter`; shown back as it is stored."""

from __future__ import annotations

import json

from hookline.api.json_body import loads_strict
from hookline.domain.errors import InvalidInput
from hookline.domain.records import EnabledEvent

MAX_FILTER_TEXT = 20_000


def read_filter_text(text: str) -> tuple[object, str | None]:
    """The filter the field holds (None when empty), or why it cannot be read."""
    if not text.strip():
        return None, None
    if len(text) > MAX_FILTER_TEXT:
        return None, f"at most {MAX_FILTER_TEXT:,} characters"
    try:
        return loads_strict(text.encode()), None
    except InvalidInput as invalid:
        return None, f"{invalid.errors[0].field} {invalid.errors[0].message}"
    except ValueError as error:
        return None, f"is not JSON: {error}"


def shown_filter(events: tuple[EnabledEvent, ...]) -> tuple[str, bool]:
    """The field's text for a registration's entries, and whether their filters differ (the
    field then starts empty: one filter cannot show several)."""
    filters = {e.filter for e in events}
    if len(filters) != 1:
        return "", True
    (only,) = filters
    return ("" if only is None else json.dumps(json.loads(only), ensure_ascii=False)), False
