"""The delivery loop: claim due Webhooks, send them concurrently, record results in batches.

Claiming, sending and recording overlap: while some requests are in flight, finished ones are
written in one transaction per batch (each attempt together with its Webhook's next state),
and freed slots are refilled at once. Recording is shielded from cancellation, so a stopping
worker never loses an attempt it made, and a batch the database could not take (it was down or
restarting) is kept and recorded once it answers, with back-off, rather than sent again.

A slot is held from the claim until the attempt is recorded (or handed back), so a worker never
has more than `concurrency` Webhooks delivered but unrecorded, nor more than `per_registration`
of one registration: a slow or dead target cannot take every slot. Stopping, the worker claims
no more, gives in-flight attempts the stop timeout to finish, records them, and clears the
leases of the rest so another worker takes them at once.

Throttled registrations (`maxRequestsPerSecond`) draw from token buckets in the database, debited
in the claim. The worker keeps the buckets it last saw: it claims no more of a registration than
its bucket should hold by now (the claim's debit has the last word, as other workers draw too),
and sleeps no longer than until such a bucket holds one more token.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from hookline.backoff import Backoff
from hookline.clock import Clock
from hookline.delivery.delivery_store import DeliveryStore, DeliveryTransaction
from hookline.delivery.dispatch import Dispatched, Dispatcher, log_fields
from hookline.delivery.sender import Sent
from hookline.domain.enums import WebhookState
from hookline.domain.errors import DatabaseUnavailable
from hookline.domain.ratelimit import TokenBucket
from hookline.domain.recording import decide
from hookline.domain.records import ClaimedWebhook
from hookline.domain.retry import RetryPolicy
from hookline.domain.states import DUE
from hookline.ids import new_id
from hookline.metrics import ATTEMPT_SECONDS, ATTEMPTS, OUTCOMES, WEBHOOKS_FINISHED, RegistrationAttempts
from hookline.store.wakeup import Wakeup
from hookline.store.webhooks import ClaimLimits

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 128
    """Claims held at once: from the claim until the attempt is recorded or handed back."""
    per_registration: int | None = None
    """Claims held at once for any one registration; None: no limit beyond `concurrency`."""
    stop_timeout_s: float | None = None
    """How long a stopping worker lets in-flight attempts run; None: until they end by themselves."""
    max_poll_s: float = 1.0
    """Longest idle wait between checks of `next_attempt_at`; only a safety net for wake-ups."""


class Worker:
    def __init__(
        self,
        *,
        store: DeliveryStore,
        clock: Clock,
        policy: RetryPolicy,
        dispatcher: Dispatcher,
        wakeup: Wakeup,
        lease: timedelta,
        options: WorkerOptions | None = None,
        registration_attempts: RegistrationAttempts | None = None,
    ) -> None:
        self._store = store
        self._registration_attempts = registration_attempts or RegistrationAttempts(0)
        self._clock = clock
        self._policy = policy
        self._dispatcher = dispatcher
        self._wakeup = wakeup
        self._lease = lease
        self._options = options or WorkerOptions()
        self._held: Counter[str] = Counter()  # claims not yet recorded or handed back, by registration
        self._holding = 0
        self._claim_lock = asyncio.Lock()  # limits are computed and claims counted as one step
        self._buckets: dict[str, TokenBucket] = {}  # throttled registrations, as the last claim saw them
        self._released = 0  # rows the last claim left for want of tokens
        self._in_flight: set[asyncio.Task[None]] = set()
        self._unfinished: list[ClaimedWebhook] = []  # to hand back when stopping
        self._finished: asyncio.Queue[Dispatched] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self._backoff = Backoff()
        self._policy_for = functools.lru_cache(maxsize=256)(policy.with_schedule)
        """The policy with a registration's own `retrySchedule`, parsed once per schedule."""

    async def run(self) -> None:
        """Deliver until `stop()`; then let in-flight attempts finish (within the stop timeout),
        record them, and hand back whatever is unfinished."""
        recorder = asyncio.create_task(self._record_forever(), name="hookline-recorder")
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                try:
                    room = self._free_slots() > 0
                    claimed = await self._claim() if room else []
                    if self._cut_short(claimed):
                        continue
                    idle_s = await self._idle_timeout_s(bool(claimed) or not room)
                except Exception as error:
                    # The database may be restarting: wait longer each time, then claim again.
                    delay_s = self._backoff.next_delay_s()
                    _log_failure("claiming due webhooks", error, f"trying again in {delay_s:.1f}s")
                    await self._pause(delay_s)
                    continue
                self._backoff.reset()
                await self._wakeup.wait(idle_s)
        finally:
            await self._drain()
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
        while claimed := await self._claim(spawn=False):
            try:
                dispatched = await asyncio.gather(*(self._dispatcher.dispatch(c) for c in claimed))
                await self._record(list(dispatched), refill=False)
            finally:
                self._settle(claimed)
            made += len(claimed)
        return made

    async def _claim(self, *, spawn: bool = True) -> list[ClaimedWebhook]:
        claimed = await self._record([], refill=True)
        if spawn:
            self._spawn(claimed)
        return claimed

    async def _claim_in(
        self, tx: DeliveryTransaction, settling: Sequence[ClaimedWebhook] = ()
    ) -> list[ClaimedWebhook]:
        """Claim what fits beside the claims held (counting `settling` as done), and hold it."""
        async with self._claim_lock:
            limits = self._limits(settling)
            if limits.total <= 0:
                return []
            now = self._clock.now()
            claim = await tx.claim(
                now=now,
                limits=limits,
                lease_until=now + self._lease,
                lease_token=new_id("lease"),
                clock=self._clock.now,
            )
            claimed = claim.webhooks
            for webhook in claimed:
                self._buckets.pop(webhook.registration_id, None)  # no longer throttled, unless below
            self._buckets |= claim.buckets
            self._released = claim.released
            self._hold(claimed)
            return claimed

    def _limits(self, settling: Sequence[ClaimedWebhook]) -> ClaimLimits:
        held = self._held.copy()
        held.subtract(webhook.registration_id for webhook in settling)
        cap = self._options.per_registration or self._options.concurrency
        allowance = {registration: cap - count for registration, count in held.items() if count > 0}
        now = self._clock.now()
        for registration, bucket in self._buckets.items():
            allowance[registration] = min(allowance.get(registration, cap), bucket.available(now))
        return ClaimLimits(
            total=self._free_slots() + len(settling), per_registration=cap, allowance=allowance
        )

    def _cut_short(self, claimed: list[ClaimedWebhook]) -> bool:
        """Whether claiming again at once may find more: slots are free and this claim filled
        some registration's allowance or left rows for want of tokens, so it may have left out
        due rows of others."""
        cap = self._options.per_registration or self._options.concurrency
        return self._free_slots() > 0 and (
            self._released > 0 or any(self._held[w.registration_id] >= cap for w in claimed)
        )

    def _hold(self, claimed: Iterable[ClaimedWebhook]) -> None:
        for webhook in claimed:
            self._held[webhook.registration_id] += 1
            self._holding += 1

    def _settle(self, webhooks: Iterable[ClaimedWebhook]) -> None:
        for webhook in webhooks:
            self._held[webhook.registration_id] -= 1
            if self._held[webhook.registration_id] <= 0:
                del self._held[webhook.registration_id]
            self._holding -= 1

    def _spawn(self, claimed: list[ClaimedWebhook]) -> None:
        if self._stopping.is_set():
            self._unfinished.extend(claimed)  # claimed as the stop came: not sent, handed back
            return
        for webhook in claimed:
            task = asyncio.create_task(self._send_and_queue(webhook))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _idle_timeout_s(self, claimed_some: bool) -> float:
        """Sleep until the next Webhook falls due or a throttled registration's bucket gains a
        token, but never longer than the safety-net poll."""
        longest = min(self._options.max_poll_s, self._next_token_s())
        if claimed_some:
            return longest
        due = await self._store.next_due_at()
        wait = (due - self._clock.now()).total_seconds() if due else longest
        return min(wait, longest) if wait > 0 else longest

    def _next_token_s(self) -> float:
        """How long until a bucket that is not full holds one more token (inf: none); full ones
        are forgotten, as they hold nothing back.

        Not only empty buckets: a claim that found a registration's rows locked by another
        worker's claim learns nothing of its bucket, yet rows may be due; looking again at each
        token until the bucket is full means no due row waits for the safety-net poll.
        """
        now = self._clock.now()
        waits: list[float] = []
        for registration, bucket in list(self._buckets.items()):
            if (wait := bucket.next_token(now)) is None:
                del self._buckets[registration]
            else:
                waits.append(wait.total_seconds())
        return min(waits, default=math.inf)

    async def _pause(self, delay_s: float) -> None:
        """Wait `delay_s`, or less if asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay_s)

    def _free_slots(self) -> int:
        return self._options.concurrency - self._holding

    async def _send_and_queue(self, webhook: ClaimedWebhook) -> None:
        try:
            dispatched = await self._dispatcher.dispatch(webhook)
        except asyncio.CancelledError:
            self._unfinished.append(webhook)  # cut off by the stop timeout: handed back
            raise
        except Exception:
            log.exception(
                "sending %s failed; its lease will expire and it will be retried",
                webhook.id,
                extra=log_fields(webhook),
            )
            self._settle([webhook])
            return
        self._finished.put_nowait(dispatched)

    async def _drain(self) -> None:
        """Let in-flight attempts finish within the stop timeout and record them; hand back the
        leases of the rest, so another worker takes them at once instead of after the lease."""
        if self._in_flight:
            _, late = await asyncio.wait(list(self._in_flight), timeout=self._options.stop_timeout_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self._finished.join()
        unfinished, self._unfinished = self._unfinished, []
        if not unfinished:
            return
        try:
            await self._store.hand_back({webhook.id: webhook.lease_token for webhook in unfinished})
            log.info("stopping: handed back %d unfinished webhooks", len(unfinished))
        except Exception as error:
            _log_failure(f"handing back {len(unfinished)} webhooks", error, "their leases will expire")
        finally:
            self._settle(unfinished)

    async def _record_forever(self) -> None:
        backoff = Backoff()
        batch: list[Dispatched] = []
        while True:
            if not batch:
                batch.append(await self._finished.get())
            while not self._finished.empty():
                batch.append(self._finished.get_nowait())
            try:
                # Refill the freed slots in the same transaction: one write per cycle, not two.
                refill = not self._stopping.is_set()
                claimed = await asyncio.shield(self._record(batch, refill=refill))
            except Exception as error:
                if isinstance(error, DatabaseUnavailable) and not self._stopping.is_set():
                    # Keep the batch (its slots stay held, so nothing new is sent meanwhile)
                    # and record it once the database is back, instead of sending it again.
                    delay_s = backoff.next_delay_s()
                    _log_failure(f"recording {len(batch)} attempts", error, f"trying again in {delay_s:.1f}s")
                    await self._pause(delay_s)
                    continue
                _log_failure(f"recording {len(batch)} attempts", error, "their leases will expire and retry")
                claimed = []
                self._wakeup.ring()
            backoff.reset()
            self._settle(done.webhook for done in batch)
            for _ in batch:
                self._finished.task_done()
            batch = []
            self._spawn(claimed)
            if self._cut_short(claimed):
                self._wakeup.ring()  # the run loop claims the rest

    async def _record(self, batch: list[Dispatched], *, refill: bool) -> list[ClaimedWebhook]:
        """One transaction: every attempt of the batch with its Webhook's next state, then, if
        `refill`, a claim of what fits in the freed slots (what the state changes released
        included). The claims returned are held."""
        claimed: list[ClaimedWebhook] = []
        try:
            async with self._store.transaction() as tx:
                if batch:
                    await self._write_results(tx, batch)
                if refill:
                    claimed = await self._claim_in(tx, settling=[done.webhook for done in batch])
        except BaseException:
            self._settle(claimed)  # claimed, then the commit failed: nothing is held
            raise
        return claimed

    async def _write_results(self, tx: DeliveryTransaction, batch: list[Dispatched]) -> None:
        """Every attempt of the batch with its Webhook's next state, releasing its group."""
        now = self._clock.now()
        results = [(done.webhook, done.sent.result) for done in batch]
        recording = await tx.record(
            batch,
            lambda held: decide(
                results,
                held,
                policy_for=self._policy_for,
                now=now,
                draw=random.random,  # spreads retries; not a secret
            ),
            now,
        )
        for lost in recording.expired:
            log.warning("lease on %s expired before its result was recorded", lost.id, extra=log_fields(lost))
        for settled in recording.settled:
            webhook = settled.webhook
            outcome = _observe(batch[settled.index].sent, settled.state)
            self._registration_attempts.count(webhook.organization_id, webhook.registration_id, outcome)


def _log_failure(what: str, error: Exception, then: str) -> None:
    """One line while the database is unreachable (that may last minutes); a traceback otherwise."""
    if isinstance(error, DatabaseUnavailable):
        log.warning("%s failed: database unavailable (%s); %s", what, error, then)
    else:
        log.error("%s failed; %s", what, then, exc_info=error)


def _observe(sent: Sent, state: WebhookState) -> str:
    """Count the attempt and, if it ended its Webhook, the ending; answers the outcome's name."""
    outcome = "success" if sent.result.succeeded else "blocked" if sent.result.blocked else "failure"
    _ATTEMPTS_BY_OUTCOME[outcome].inc()
    ATTEMPT_SECONDS.observe(sent.duration_ms / 1000)
    if state not in DUE:
        _FINISHED_BY_STATE[state].inc()
    return outcome


# Label look-ups are dict lookups plus locking; resolve them once, not per delivery.
_ATTEMPTS_BY_OUTCOME = {outcome: ATTEMPTS.labels(outcome) for outcome in OUTCOMES}
_FINISHED_BY_STATE = {state: WEBHOOKS_FINISHED.labels(state.label) for state in WebhookState}
