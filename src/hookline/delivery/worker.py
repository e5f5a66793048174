"""The delivery loop: claim due Webhooks, send them concurrently, record results in batches.

Claiming, sending and recording overlap: while some requests are in flight, finished ones are
written in one transaction per batch (each attempt together with its Webhook's next state),
and freed slots are refilled at once. Recording is shielded from cancellation, so a stopping
worker never loses an attempt it made.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.clock import Clock
from hookline.delivery.dispatch import Dispatched, Dispatcher
from hookline.delivery.sender import Sent
from hookline.delivery.wakeup import Wakeup
from hookline.domain.enums import WebhookState
from hookline.domain.outcome import judge
from hookline.domain.retry import RetryPolicy
from hookline.domain.states import DUE, blocks_group
from hookline.health import AttemptOutcome, Health
from hookline.ids import new_id
from hookline.metrics import ATTEMPT_SECONDS, ATTEMPTS, WEBHOOKS_FINISHED
from hookline.store.attempts import insert_attempts
from hookline.store.db import Database
from hookline.store.records import Attempt
from hookline.store.webhooks import (
    ClaimedWebhook,
    claim_due,
    held_states,
    next_due_at,
    release_group,
    store_results,
)

log = logging.getLogger(__name__)

LEASE_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 128
    max_poll_s: float = 1.0
    """Longest idle wait between checks of `next_attempt_at`; only a safety net for wake-ups."""


class Worker:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        policy: RetryPolicy,
        dispatcher: Dispatcher,
        wakeup: Wakeup,
        health: Health,
        lease: timedelta,
        options: WorkerOptions | None = None,
    ) -> None:
        self._db = db
        self._health = health
        self._clock = clock
        self._policy = policy
        self._dispatcher = dispatcher
        self._wakeup = wakeup
        self._lease = lease + LEASE_MARGIN
        self._options = options or WorkerOptions()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._sending = 0  # attempts not yet handed to the recorder; their slots are taken
        self._finished: asyncio.Queue[Dispatched] = asyncio.Queue()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Deliver until `stop()`; then let in-flight attempts finish and record them."""
        recorder = asyncio.create_task(self._record_forever(), name="hookline-recorder")
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                try:
                    free = self._free_slots()
                    claimed = await self._claim(free) if free > 0 else []
                    if free > 0 and len(claimed) == free:
                        continue  # more may be due right now
                    idle_s = await self._idle_timeout_s(bool(claimed))
                except Exception:
                    # A database hiccup must not end delivery for good: wait, then claim again.
                    idle_s = self._options.max_poll_s
                    log.exception("claiming due webhooks failed; trying again within %.1fs", idle_s)
                await self._wakeup.wait(idle_s)
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            await self._finished.join()
            recorder.cancel()
            await asyncio.gather(recorder, return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.ring()

    async def deliver_due(self) -> int:
        """Deliver everything due at the clock's `now`, and what that releases; for tests and tools.

        Returns how many attempts were made.
        """
        made = 0
        while claimed := await self._claim(self._options.concurrency, spawn=False):
            dispatched = await asyncio.gather(*(self._dispatcher.dispatch(c) for c in claimed))
            await self._record(list(dispatched))
            made += len(claimed)
        return made

    async def _claim(self, limit: int, *, spawn: bool = True) -> list[ClaimedWebhook]:
        async with self._db.write() as conn:
            claimed = await self._claim_in(conn, limit)
        if spawn:
            self._spawn(claimed)
        return claimed

    async def _claim_in(self, conn: AsyncConnection, limit: int) -> list[ClaimedWebhook]:
        now = self._clock.now()
        return await claim_due(
            conn, now=now, limit=limit, lease_until=now + self._lease, lease_token=new_id("lease")
        )

    def _spawn(self, claimed: list[ClaimedWebhook]) -> None:
        self._sending += len(claimed)
        for webhook in claimed:
            task = asyncio.create_task(self._send_and_queue(webhook))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _idle_timeout_s(self, claimed_some: bool) -> float:
        """Sleep until the next Webhook falls due, but never longer than the safety-net poll."""
        longest = self._options.max_poll_s
        if claimed_some:
            return longest
        async with self._db.read() as conn:
            due = await next_due_at(conn)
        wait = (due - self._clock.now()).total_seconds() if due else longest
        return min(wait, longest) if wait > 0 else longest

    def _free_slots(self) -> int:
        return self._options.concurrency - self._sending

    async def _send_and_queue(self, webhook: ClaimedWebhook) -> None:
        try:
            self._finished.put_nowait(await self._dispatcher.dispatch(webhook))
        finally:
            self._sending -= 1

    async def _record_forever(self) -> None:
        while True:
            batch = [await self._finished.get()]
            while not self._finished.empty():
                batch.append(self._finished.get_nowait())
            # Refill the freed slots in the same transaction: one write per cycle, not two.
            refill = 0 if self._stopping.is_set() else self._free_slots()
            try:
                self._spawn(await asyncio.shield(self._record(batch, refill=refill)))
            except Exception:
                log.exception("recording %d attempts failed; their leases will expire and retry", len(batch))
                self._wakeup.ring()
            finally:
                for _ in batch:
                    self._finished.task_done()

    async def _record(self, batch: list[Dispatched], *, refill: int = 0) -> list[ClaimedWebhook]:
        """One transaction: every attempt of the batch with its Webhook's next state, then a
        claim of up to `refill` due Webhooks (what the state changes released included)."""
        now = self._clock.now()
        async with self._db.write() as conn:
            # Registrations before Webhooks: the lock order every deactivation uses too.
            await self._health.record_streaks(
                conn, [(d.webhook.registration_id, d.sent.result.succeeded) for d in batch], now
            )
            held = await held_states(conn, {d.webhook.id: d.webhook.lease_token for d in batch})
            attempts: list[Attempt] = []
            outcomes: list[AttemptOutcome] = []
            results = []
            releases: dict[tuple[str, str], bool] = {}
            for done in batch:
                claimed, sent = done.webhook, done.sent
                current = held.get(claimed.id)
                if current is None:
                    log.warning("lease on %s expired before its result was recorded", claimed.id)
                    continue
                verdict = judge(
                    self._policy,
                    sent.result,
                    attempt_number=claimed.attempt_number,
                    attempt_limit=claimed.attempt_limit,
                    now=now,
                )
                # Aborted or resolved while in flight: the attempt is kept, the manual state wins.
                state, next_at = (
                    (verdict.state, verdict.next_attempt_at) if current in DUE else (current, None)
                )
                attempt = done.attempt(new_id("att"))
                attempts.append(attempt)
                outcomes.append(AttemptOutcome(claimed, attempt, state, verdict.target_gone))
                results.append(
                    {
                        "b_id": claimed.id,
                        "state": state.value,
                        "attempt_count": claimed.attempt_number,
                        "next_attempt_at": next_at,
                        "updated_at": now,
                    }
                )
                _observe(sent, state)
                if claimed.should_group and not blocks_group(
                    state, continue_after_fail=claimed.continue_after_fail
                ):
                    releases[(claimed.registration_id, claimed.group_key)] = claimed.continue_after_fail
            await insert_attempts(conn, attempts)
            await store_results(conn, results)
            await self._health.record(conn, outcomes, now)
            for (registration_id, group_key), continue_after_fail in releases.items():
                await release_group(
                    conn, registration_id, group_key, continue_after_fail=continue_after_fail, now=now
                )
            return await self._claim_in(conn, refill) if refill > 0 else []


def _observe(sent: Sent, state: WebhookState) -> None:
    outcome = "success" if sent.result.succeeded else "blocked" if sent.result.blocked else "failure"
    _ATTEMPTS_BY_OUTCOME[outcome].inc()
    ATTEMPT_SECONDS.observe(sent.duration_ms / 1000)
    if state not in DUE:
        _FINISHED_BY_STATE[state].inc()


# Label look-ups are dict lookups plus locking; resolve them once, not per delivery.
_ATTEMPTS_BY_OUTCOME = {outcome: ATTEMPTS.labels(outcome) for outcome in ("success", "failure", "blocked")}
_FINISHED_BY_STATE = {state: WEBHOOKS_FINISHED.labels(state.label) for state in WebhookState}
