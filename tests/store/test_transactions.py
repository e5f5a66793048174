"""The store's edge: a transaction wakes workers only once it has committed, and driver errors
leave the store as hookline's own (a duplicate by its constraint, an unreachable database)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hookline.clock import FrozenClock
from hookline.domain.errors import DatabaseUnavailable
from hookline.store import events as events_store
from hookline.store import registrations as reg_store
from hookline.store.db import Database
from hookline.store.errors import (
    Duplicate,
    DuplicateEventId,
    DuplicateIdempotencyKey,
    DuplicateRegistration,
)
from hookline.store.organizations import ensure_organization
from hookline.store.wakeup import CHANNEL, Wakeup


class CountingWakeup(Wakeup):
    def __init__(self) -> None:
        super().__init__()
        self.rings = 0

    def ring(self) -> None:
        super().ring()
        self.rings += 1


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, wakeup=CountingWakeup())
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


def rings(db: Database) -> int:
    assert isinstance(db.wakeup, CountingWakeup)
    return db.wakeup.rings


async def test_the_doorbell_rings_after_the_commit_never_before(db: Database) -> None:
    async with db.write() as tx:
        await tx.wake_workers()
        await tx.wake_workers()
        assert rings(db) == 0  # the work is not visible to a worker yet
    assert rings(db) == 1


async def test_a_rolled_back_transaction_wakes_nobody(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as tx:
            await tx.wake_workers()
            raise RuntimeError("changed my mind")
    async with db.write():
        pass  # a transaction that made nothing due
    assert rings(db) == 0


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_other_processes_hear_of_committed_work_only(db: Database, database_url: str) -> None:
    """NOTIFY travels with the transaction: sent on commit, dropped on rollback. Notifications
    arrive in commit order, so once the marker committed last has arrived, all have."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(dsn)
    try:
        await listener.add_listener(CHANNEL, lambda *args: heard.put_nowait(args[-1]))
        with pytest.raises(RuntimeError):
            async with db.write() as tx:
                await tx.wake_workers()
                raise RuntimeError("rolled back")
        async with db.write() as tx:
            await tx.wake_workers()
        async with db.write() as tx:
            await tx.execute(text(f"NOTIFY {CHANNEL}, 'marker'"))
        received = [await asyncio.wait_for(heard.get(), 15)]
        while received[-1] != "marker":
            received.append(await asyncio.wait_for(heard.get(), 15))
    finally:
        await listener.close()
    assert received == ["", "marker"]


def _event(event_id: str, idempotency_id: str, clock: FrozenClock) -> dict[str, Any]:
    return {
        "id": event_id,
        "organization_id": "acme",
        "idempotency_id": idempotency_id,
        "entity_name": "Unit",
        "type": 1,
        "entity_id": "u1",
        "group_key": None,
        "occurred_at": clock.now(),
        "payload": "{}",
        "created_at": clock.now(),
    }


def _registration(registration_id: str, fingerprint: str, key: str, clock: FrozenClock) -> dict[str, Any]:
    return {
        "id": registration_id,
        "organization_id": "acme",
        "target_url": "https://example.com/hook",
        "normalized_target_url": "https://example.com/hook",
        "should_group": False,
        "should_group_continue_after_fail": False,
        "is_active": True,
        "fingerprint": fingerprint,
        "signing_secret": b"sealed",
        "created_at": clock.now(),
        "updated_at": clock.now(),
        "idempotency_key": key,
    }


async def test_a_repeated_event_id_is_a_named_duplicate(db: Database, clock: FrozenClock) -> None:
    async with db.write() as tx:
        await ensure_organization(tx, "acme", clock.now())
        await events_store.insert_events(tx, [_event("evt_1", "order-7", clock)])
    with pytest.raises(DuplicateEventId) as raised:
        async with db.write() as tx:
            await events_store.insert_events(tx, [_event("evt_2", "order-7", clock)])
    assert raised.value.constraint == "uq_domain_events_organization_id_idempotency_id"


@pytest.mark.parametrize(
    ("fingerprint", "key", "error"),
    [("fp-1", "key-2", DuplicateRegistration), ("fp-2", "key-1", DuplicateIdempotencyKey)],
)
async def test_registration_duplicates_are_told_apart_by_constraint(
    db: Database, clock: FrozenClock, fingerprint: str, key: str, error: type[Duplicate]
) -> None:
    async with db.write() as tx:
        await ensure_organization(tx, "acme", clock.now())
        await reg_store.insert_registration(tx, _registration("reg_1", "fp-1", "key-1", clock))
    with pytest.raises(error):
        async with db.write() as tx:
            await reg_store.insert_registration(tx, _registration("reg_2", fingerprint, key, clock))


async def test_an_unreachable_database_is_unavailable_not_a_driver_error() -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/test")  # nothing listens on port 1
    try:
        with pytest.raises(DatabaseUnavailable):
            await db.ping()
        with pytest.raises(DatabaseUnavailable):
            async with db.write():
                pass
    finally:
        await db.close()
