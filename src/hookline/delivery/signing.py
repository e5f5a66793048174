"""Standard Webhooks signatures, `v1,<base64 HMAC-SHA256>` or `v1a,<base64 Ed25519>` of
"{id}.{timestamp}.{body}": the scheme is the one the signing key's prefix names (crypto.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache

from hookline.crypto import SIGNING_KEY_PREFIX, SIGNING_SECRET_PREFIX, ed25519_key


@lru_cache(maxsize=4096)
def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a `whsec_` secret; memoized, as every delivery signs with one."""
    return base64.b64decode(secret.removeprefix(SIGNING_SECRET_PREFIX))


def sign(key: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    if key.startswith(SIGNING_KEY_PREFIX):
        return f"v1a,{base64.b64encode(ed25519_key(key).sign(message)).decode()}"
    digest = hmac.new(secret_bytes(key), message, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def signature_header(keys: Iterable[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """One signature per valid key, space-separated, so receivers survive a rotation."""
    return " ".join(sign(key, webhook_id, timestamp, body) for key in keys)
