"""A registration's custom headers: which names the protocol keeps for itself, and what a
name and a value may be (RFC 9110 tokens; no CR, LF or NUL that could split a request)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

MAX_CUSTOM_HEADERS = 20
MAX_VALUE_LENGTH = 4000
"""Of a custom header's value and of a Bearer token."""
MASK = "•••"
"""How a write-only value is shown: in registration answers and in recorded request headers."""

PROTOCOL_OWNED = frozenset(
    {
        "authorization",
        "content-length",
        "content-type",
        "host",
        "traceparent",
        "tracestate",
        # hop-by-hop (RFC 9110 7.6.1) and their relatives: a proxy or the client owns them
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
OWNED_PREFIXES = ("webhook-", "proxy-")

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(r"[\r\n\0]")


def is_protocol_owned(name: str) -> bool:
    lower = name.lower()
    return lower in PROTOCOL_OWNED or lower.startswith(OWNED_PREFIXES)


def header_problems(headers: Mapping[str, str | None]) -> Iterator[tuple[str, str]]:
    """(field, message) for each thing wrong with `headers` (None values are checked elsewhere)."""
    if len(headers) > MAX_CUSTOM_HEADERS:
        yield "headers", f"must have at most {MAX_CUSTOM_HEADERS} entries"
    seen: set[str] = set()
    for name, value in headers.items():
        field = f"headers.{name}"
        if not _TOKEN.fullmatch(name):
            yield field, "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)"
        elif is_protocol_owned(name):
            yield field, "is set by hookline itself and cannot be a custom header"
        elif name.lower() in seen:
            yield field, "repeats a header name (names are case-insensitive)"
        seen.add(name.lower())
        if value is not None and _FORBIDDEN_IN_VALUE.search(value):
            yield field, "must not contain CR, LF or NUL"
        elif value == MASK:
            yield field, f"is the masked value {MASK}; send null to keep the stored value"


def bad_token(token: str) -> str | None:
    """Why a Bearer token cannot be sent in a header, or None."""
    if _FORBIDDEN_IN_VALUE.search(token):
        return "must not contain CR, LF or NUL"
    if token != token.strip() or " " in token:
        return "must not contain spaces"
    return None
