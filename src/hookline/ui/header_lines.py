"""A registration's custom headers as the form writes them: one `Name: value` per line.

The values are write-only, so an edit form lists the stored names with no value; a name left
without a value keeps its stored value (the API's PATCH with a null value), and a line removed
removes that header. The use cases judge names and values exactly as for the API.
"""

from __future__ import annotations

from collections.abc import Iterable


def show_header_lines(names: Iterable[str]) -> str:
    """The stored headers for the edit form: their names, never their values."""
    return "".join(f"{name}:\n" for name in names)


def read_header_lines(text: str) -> tuple[dict[str, str | None], list[str]]:
    """The headers of the form's text (a name without a value maps to None, "keep it"), and
    what cannot be read, one message per line at fault."""
    headers: dict[str, str | None] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:
            problems.append(f"line {number}: write each header as Name: value")
        elif name in headers:
            problems.append(f"line {number}: {name} is given twice")
        else:
            headers[name] = value or None
    return headers, problems
