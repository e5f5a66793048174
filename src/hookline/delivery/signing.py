"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache

SECRET_PREFIX = "whsec_"


@lru_cache(maxsize=4096)
def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret; memoized, as every delivery signs with one."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), message, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def signature_header(secrets: Iterable[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """One signature per valid secret, space-separated, so receivers survive a rotation."""
    return " ".join(sign(secret, webhook_id, timestamp, body) for secret in secrets)
