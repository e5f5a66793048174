"""JSON Schema patterns for what hookline's lenient parsers accept, so the OpenAPI description
says exactly which spellings are valid (an `enum` would call `"process"` invalid, which hookline
takes as `Process`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hookline.domain.enums import ContractEnum

NO_NUL = r"^[^\u0000]*$"
"""Text a column can store: PostgreSQL refuses NUL (outside event `data`, stored as JSON)."""


def _any_case(text: str, *, between: str = "") -> str:
    return between.join(f"[{c.upper()}{c.lower()}]" if c.upper() != c.lower() else re.escape(c) for c in text)


def names_pattern(names: Iterable[str], *literals: str) -> str:
    """Any of `names` in any case, or one of `literals` as is, with blanks around it
    (`Catalog.canonical`)."""
    choices = [re.escape(literal) for literal in literals] + [_any_case(name) for name in names]
    return r"^\s*(?:" + "|".join(choices) + r")\s*$"


def enum_pattern(kind: type[ContractEnum]) -> str:
    """A member's id in digits, or its name in any case with spaces or underscores anywhere
    (`ContractEnum.parse`: `2`, `"2"`, `"updated"`, `"add_to_relation"`)."""
    ids = "|".join(str(member.value) for member in kind)
    names = "|".join(_any_case(member.label, between="[ _]*") for member in kind)
    return rf"^\s*(?:0{{0,17}}(?:{ids})|[ _]*(?:{names})[ _]*)\s*$"
