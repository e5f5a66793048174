"""The secret key a process starts with: required on PostgreSQL, and proven against the database
before the process serves or claims anything.

Every process of one database must encrypt and decrypt with the same key. A process with another
key would otherwise start, claim Webhooks it cannot sign, and deliver nothing; so the first
process to start writes a check value encrypted with its key, and every later one must decrypt it
(on a database that predates the check value, one stored signing secret stands in for it).
"""

from __future__ import annotations

from datetime import datetime

from hookline.config import ConfigError, Settings
from hookline.crypto import SecretBox
from hookline.store import key_check
from hookline.store.db import Database

CHECK_PLAINTEXT = "hookline secret key check"
WRONG_KEY = (
    "HOOKLINE_SECRET_KEY cannot decrypt the secrets stored in this database: it is not the key "
    "they were encrypted with. Start every process of one database with the same HOOKLINE_SECRET_KEY"
)


def secret_box_for(settings: Settings) -> SecretBox:
    """The key from HOOKLINE_SECRET_KEY; only the embedded SQLite mode may generate a key file."""
    if not settings.secret_key and not settings.database_url.startswith("sqlite"):
        raise ConfigError(
            "HOOKLINE_SECRET_KEY must be set on PostgreSQL: every API and worker process needs the "
            "same key (the generated key file is for the embedded SQLite mode only)"
        )
    return SecretBox.from_key_or_file(settings.secret_key, settings.secret_key_file)


async def verify_secret_key(db: Database, box: SecretBox, now: datetime) -> None:
    """Raise ConfigError naming HOOKLINE_SECRET_KEY unless `box` decrypts this database's secrets;
    write the check value if there is none yet."""
    async with db.read() as conn:
        token = await key_check.read_check(conn)
        sample = None if token is not None else await key_check.any_signing_secret(conn)
    if token is None:
        if sample is not None:
            _decrypts(box, sample)
        async with db.write() as conn:
            await key_check.write_check_once(conn, box.encrypt(CHECK_PLAINTEXT), now)
        async with db.read() as conn:  # a concurrent first start may have written its own
            token = await key_check.read_check(conn)
    assert token is not None
    if _decrypts(box, token) != CHECK_PLAINTEXT:
        raise ConfigError(WRONG_KEY)


def _decrypts(box: SecretBox, token: bytes) -> str:
    try:
        return box.decrypt(token)
    except ValueError:
        raise ConfigError(WRONG_KEY) from None
