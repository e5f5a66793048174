"""The headers of a webhook request: the registration's custom headers, the Standard Webhooks
signature and the target authorization, and the masked copy of them an attempt keeps."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from hookline.delivery.signing import signature_header
from hookline.domain.headers import MASK


def webhook_headers(
    *,
    webhook_id: str,
    body: bytes,
    now: datetime,
    signing_secrets: Sequence[str],
    authorization: str | None,
    custom_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Custom headers first; no name of theirs can be one of the protocol's (domain/headers.py)."""
    timestamp = int(now.timestamp())
    headers = dict(custom_headers or {})
    headers |= {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(signing_secrets, webhook_id, timestamp, body),
    }
    if authorization is not None:
        headers["Authorization"] = authorization
    return headers


def basic_authorization(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"


def bearer_authorization(token: str) -> str:
    return f"Bearer {token}"


SHOWN_AS_SENT = frozenset(
    {
        "accept",
        "accept-encoding",
        "content-length",
        "content-type",
        "host",
        "traceparent",
        "tracestate",
        "user-agent",
        "webhook-id",
        "webhook-timestamp",
    }
)
"""Request headers whose values carry no secret; every other value is masked."""


def masked_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The request headers as an attempt records them: signatures keep their version
    (`v1,•••`), credentials their scheme (`Basic •••`); any other header hookline does not own
    (a registration's custom headers are write-only) is masked whole.

    Masking by allow-list means a header added later is hidden until someone decides to show it.
    """
    shown: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in SHOWN_AS_SENT:
            shown[name] = value
        elif lower == "webhook-signature":
            shown[name] = " ".join(f"{part.partition(',')[0]},{MASK}" for part in value.split())
        elif lower in ("authorization", "proxy-authorization"):
            scheme, space, _ = value.partition(" ")
            shown[name] = f"{scheme} {MASK}" if space else MASK
        else:
            shown[name] = MASK
    return shown
