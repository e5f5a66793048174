"""Secrets at rest: Basic passwords and signing keys are stored only encrypted (Fernet); and the
signing keys themselves, whose text names their scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hookline.domain.enums import SignatureScheme

log = logging.getLogger(__name__)


class SecretBox:
    """Encrypts and decrypts short secrets with one key; decryption is memoized for the hot path."""

    def __init__(self, key_material: str) -> None:
        digest = hashlib.sha256(key_material.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._digest_key = hashlib.sha256(b"hookline digest\0" + key_material.encode()).digest()
        self.decrypt = lru_cache(maxsize=4096)(self._decrypt)

    def digest(self, text: str) -> str:
        """A keyed fingerprint: comparable, yet useless for guessing what went in (passwords)."""
        return hmac.new(self._digest_key, text.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def _decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken:
            raise ValueError("a stored secret cannot be decrypted: is HOOKLINE_SECRET_KEY right?") from None

    @classmethod
    def from_key_or_file(cls, key: str | None, key_file: Path) -> SecretBox:
        """Use `key`, else the key in `key_file`, generating one readable only by its owner."""
        if key:
            return cls(key)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
            log.warning("HOOKLINE_SECRET_KEY is not set: generated %s (keep it with the database)", key_file)
        return cls(key_file.read_text().strip())


def hash_api_key(key: str) -> str:
    """API keys carry 256 random bits, so one SHA-256 is enough and keeps look-ups O(1)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key() -> str:
    return f"hl_{secrets.token_urlsafe(32)}"


SIGNING_SECRET_PREFIX = "whsec_"
"""v1: base64 of a 32-byte HMAC-SHA256 key, which the receiver holds too."""
SIGNING_KEY_PREFIX = "whsk_"
"""v1a: base64 of a 32-byte Ed25519 private key, which never leaves hookline."""
PUBLIC_KEY_PREFIX = "whpk_"
"""v1a: base64 of the 32-byte Ed25519 public key receivers verify with."""


def new_signing_key(scheme: SignatureScheme) -> str:
    """A registration's signing key. Its prefix names the scheme, so storing, rotating and
    signing treat both schemes alike; only `delivery/signing.py` tells them apart."""
    if scheme is SignatureScheme.V1A:
        raw = Ed25519PrivateKey.generate().private_bytes_raw()
        return f"{SIGNING_KEY_PREFIX}{base64.b64encode(raw).decode()}"
    return f"{SIGNING_SECRET_PREFIX}{base64.b64encode(secrets.token_bytes(32)).decode()}"


@lru_cache(maxsize=4096)
def ed25519_key(key: str) -> Ed25519PrivateKey:
    """The private key of a `whsk_` key; memoized, as every delivery signs with one."""
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(key.removeprefix(SIGNING_KEY_PREFIX)))


def public_signing_key(key: str) -> str | None:
    """The `whpk_` public key of a v1a key, shown on every read; None for a v1 secret."""
    if not key.startswith(SIGNING_KEY_PREFIX):
        return None
    raw = ed25519_key(key).public_key().public_bytes_raw()
    return f"{PUBLIC_KEY_PREFIX}{base64.b64encode(raw).decode()}"
