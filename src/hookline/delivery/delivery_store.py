"""The worker's one way to the database: claim, record, hand back, next due.

A worker is handed a `DeliveryStore`; it owns the transactions and the order in which they take
their locks, while the worker decides (domain/recording.py) and counts. Tests hand the worker a
store that fails where they want it to, instead of patching module functions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Protocol

from hookline.delivery.dispatch import Dispatched
from hookline.domain.enums import WebhookState
from hookline.domain.outcome import AttemptOutcome
from hookline.domain.recording import Recording
from hookline.ids import new_id
from hookline.store.attempts import insert_attempts
from hookline.store.db import Database, Transaction
from hookline.store.webhooks import (
    Claim,
    ClaimLimits,
    claim_due,
    hand_back,
    held_states,
    hold_claimed,
    lock_groups,
    next_due_at,
    release_group,
    store_results,
)


class RegistrationHealth(Protocol):
    """What the worker reports about its targets, inside its recording transaction; the
    runtime hands over service/health.py's `Health`, which deactivates and announces."""

    async def record_streaks(
        self, conn: Transaction, outcomes: list[tuple[str, bool]], now: datetime
    ) -> None:
        """Start or end failing streaks from (registration id, attempt succeeded) pairs."""

    async def record(self, conn: Transaction, outcomes: list[AttemptOutcome], now: datetime) -> None:
        """Act on what the recorded attempts tell (410 Gone, Webhooks that entered Failed)."""


Decide = Callable[[Mapping[str, WebhookState]], Recording]
"""The worker's decision for a batch, given the states its leases still hold (pure)."""


class DeliveryTransaction:
    """One write transaction of the worker: record a batch, then claim what fits."""

    def __init__(self, conn: Transaction, health: RegistrationHealth) -> None:
        self._conn = conn
        self._health = health

    async def record(self, batch: Sequence[Dispatched], decide: Decide, now: datetime) -> Recording:
        """Every attempt of `batch` whose lease still holds, with its Webhook's next state (as
        `decide` says), releasing the groups that frees."""
        conn = self._conn
        # Registrations before Webhooks: the lock order every deactivation uses too.
        await self._health.record_streaks(
            conn, [(d.webhook.registration_id, d.sent.result.succeeded) for d in batch], now
        )
        held = await held_states(conn, {d.webhook.id: d.webhook.lease_token for d in batch})
        recording = decide(held)
        attempts = [batch[settled.index].attempt(new_id("att")) for settled in recording.settled]
        await insert_attempts(conn, attempts)
        await store_results(
            conn,
            [
                {
                    "b_id": s.webhook.id,
                    "state": s.state.value,
                    "attempt_count": s.webhook.attempt_number,
                    "next_attempt_at": s.next_attempt_at,
                    "updated_at": now,
                }
                for s in recording.settled
            ],
        )
        await lock_groups(conn, recording.releases)
        for (registration_id, group_key), continue_after_fail in recording.releases.items():
            await release_group(
                conn, registration_id, group_key, continue_after_fail=continue_after_fail, now=now
            )
        outcomes = [
            AttemptOutcome(s.webhook, attempt, s.state, s.target_gone)
            for s, attempt in zip(recording.settled, attempts, strict=True)
        ]
        # After the group locks: deactivating and announcing takes locks of its own, in order.
        await self._health.record(conn, outcomes, now)
        return recording

    async def claim(
        self,
        *,
        now: datetime,
        limits: ClaimLimits,
        lease_until: datetime,
        lease_token: str,
        clock: Callable[[], datetime],
    ) -> Claim:
        """Lease what `limits` allow; what a pause now holds goes back to Pending, unsent, and is
        left out of the answer."""
        claim = await claim_due(
            self._conn, now=now, limits=limits, lease_until=lease_until, lease_token=lease_token, clock=clock
        )
        paused = {c.id: c.lease_token for c in claim.webhooks if c.paused}
        if not paused:
            return claim
        await hold_claimed(self._conn, paused, now)
        return Claim([c for c in claim.webhooks if not c.paused], claim.buckets, claim.released)


class DeliveryStore:
    def __init__(self, db: Database, health: RegistrationHealth) -> None:
        self._db = db
        self._health = health

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[DeliveryTransaction]:
        """Committed when the block ends, rolled back if it raises (driver errors translated)."""
        async with self._db.write() as conn:
            yield DeliveryTransaction(conn, self._health)

    async def hand_back(self, leases: dict[str, str]) -> None:
        """Clear these leases (id → token) so that any worker, here or elsewhere, takes them now."""
        async with self._db.write() as conn:
            await hand_back(conn, leases)
            await conn.wake_workers()  # idle workers elsewhere take them now, not at their next poll

    async def next_due_at(self) -> datetime | None:
        async with self._db.read() as conn:
            return await next_due_at(conn)
