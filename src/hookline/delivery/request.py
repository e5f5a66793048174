"""The headers of a webhook request: Standard Webhooks signature and target authorization."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime

from hookline.delivery.signing import signature_header


def webhook_headers(
    *,
    webhook_id: str,
    body: bytes,
    now: datetime,
    signing_secrets: Sequence[str],
    basic_credentials: tuple[str, str] | None,
) -> dict[str, str]:
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(signing_secrets, webhook_id, timestamp, body),
    }
    if basic_credentials is not None:
        username, password = basic_credentials
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return headers
