"""A registration's `enabledEvents` as the use cases check them: catalog spellings or `*`, a
valid filter in its canonical form, and no entry twice (the same entity and type, `*` counting
as its own; alternatives of one pair go in the filter's lists)."""

from __future__ import annotations

from collections.abc import Iterable

from hookline.domain.catalog import Catalog
from hookline.domain.errors import ErrorCollector
from hookline.domain.records import EnabledEvent
from hookline.domain.subscriptions import EVERY, EventChoice, EventSelection, check_filter


def checked_selections(
    catalog: Catalog, choices: list[EventChoice], errors: ErrorCollector
) -> list[EventSelection]:
    if not choices:
        errors.add("enabledEvents", "must name at least one event")
    checked: list[EventSelection] = []
    seen: set[tuple[str, int]] = set()
    for index, choice in enumerate(choices):
        at = f"enabledEvents[{index}]"
        name = choice.entity_name.strip()
        if name != EVERY:
            try:
                name = catalog.canonical(name)
            except ValueError as error:
                errors.add(f"{at}.entityName", f"{error} or {EVERY!r} for every one")
                continue
        filter_json, problems = check_filter(choice.filter)
        for path, message in problems:
            errors.add(f"{at}.filter{path}", message)
        selection = EventSelection(name, choice.type, filter_json)
        pair = (selection.entity_name, selection.type_id)
        if pair in seen:
            kind = EVERY if choice.type is None else choice.type.label
            errors.add(at, f"duplicates {name} {kind}; give one entry a filter with a list of values instead")
        seen.add(pair)
        checked.append(selection)
    return checked


def selections_of(events: Iterable[EnabledEvent]) -> list[EventSelection]:
    """A registration's stored entries, as a PATCH that leaves them out keeps them."""
    return [EventSelection(e.entity_name, e.type, e.filter) for e in events]
