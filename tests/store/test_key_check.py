"""The secret key's check value: written once by the first process, and a process with another
key refused at start with a message naming HOOKLINE_SECRET_KEY, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hookline.config import ConfigError, Settings
from hookline.crypto import SecretBox
from hookline.secret_key import secret_box_for, verify_secret_key
from hookline.store.db import Database
from hookline.store.organizations import ensure_organization
from hookline.store.tables import secret_key_check, webhook_registrations
from tests.conftest import START


async def _check_rows(db: Database) -> list[bytes]:
    async with db.read() as conn:
        return list((await conn.execute(select(secret_key_check.c.token))).scalars())


async def test_the_first_start_writes_the_check_and_only_the_same_key_passes_it(database_url: str) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        await verify_secret_key(db, SecretBox("the key"), START)
        [written] = await _check_rows(db)
        await verify_secret_key(db, SecretBox("the key"), START)  # written once, passed again
        with pytest.raises(ConfigError, match="HOOKLINE_SECRET_KEY cannot decrypt"):
            await verify_secret_key(db, SecretBox("another key"), START)
        assert await _check_rows(db) == [written]
    finally:
        await db.close()


async def test_a_database_with_secrets_but_no_check_value_is_checked_against_a_secret(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.write() as conn:
            await ensure_organization(conn, "acme", START)
            await conn.execute(
                webhook_registrations.insert().values(
                    id="reg_old", organization_id="acme", target_url="http://127.0.0.1/", normalized_target_url="x",
                    should_group=False, should_group_continue_after_fail=False, is_active=True,
                    fingerprint="f", signing_secret=SecretBox("old key").encrypt("whsec_x"),
                    created_at=START, updated_at=START,
                )
            )  # fmt: skip
        with pytest.raises(ConfigError, match="HOOKLINE_SECRET_KEY"):
            await verify_secret_key(db, SecretBox("new key"), START)
        assert await _check_rows(db) == []  # the wrong key wrote nothing
        await verify_secret_key(db, SecretBox("old key"), START)
        assert len(await _check_rows(db)) == 1
    finally:
        await db.close()


def test_postgresql_needs_a_secret_key_and_only_sqlite_may_generate_one(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    with pytest.raises(ConfigError, match="HOOKLINE_SECRET_KEY must be set on PostgreSQL"):
        secret_box_for(Settings(database_url="postgresql://db/hookline", secret_key_file=key_file))
    assert not key_file.exists()
    secret_box_for(Settings(database_url="sqlite:///./x.db", secret_key_file=key_file))
    assert key_file.exists()
    secret_box_for(Settings(database_url="postgresql://db/hookline", secret_key="set"))
