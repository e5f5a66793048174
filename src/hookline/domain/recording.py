"""What recording a batch of attempts decides, with no I/O: each Webhook's next state, which
results are stale (their lease was lost), and which groups the new states release.

The worker reads the states its leases still hold, asks `decide`, and writes what it answers,
all in one transaction; keeping the decision here lets it be tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hookline.domain.enums import WebhookState
from hookline.domain.outcome import AttemptResult, judge
from hookline.domain.records import ClaimedWebhook
from hookline.domain.retry import RetryPolicy
from hookline.domain.states import DUE, blocks_group


@dataclass(frozen=True, slots=True)
class Settled:
    """One attempt to record, and where it leaves its Webhook."""

    index: int
    """Its place in the batch."""
    webhook: ClaimedWebhook
    state: WebhookState
    next_attempt_at: datetime | None
    target_gone: bool


@dataclass(frozen=True, slots=True)
class Recording:
    settled: list[Settled] = field(default_factory=list)
    """The attempts whose lease still holds, in batch order."""
    expired: list[ClaimedWebhook] = field(default_factory=list)
    """Claims whose lease expired (another worker took over): their results are dropped."""
    releases: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(registration id, group key) → continue_after_fail, for each group to release."""


def decide(
    batch: Sequence[tuple[ClaimedWebhook, AttemptResult]],
    held: Mapping[str, WebhookState],
    *,
    policy_for: Callable[[str | None], RetryPolicy],
    now: datetime,
    draw: Callable[[], float],
) -> Recording:
    """Judge each (claim, result) of `batch` whose lease `held` (id → current state) still holds.

    A Webhook aborted or resolved while in flight keeps that state (its attempt is still
    recorded); otherwise the verdict of its registration's retry policy (`policy_for` its
    schedule; `draw` gives the jitter's uniform draws) decides. A grouped Webhook that no
    longer holds its group back releases it.
    """
    recording = Recording()
    for index, (webhook, result) in enumerate(batch):
        current = held.get(webhook.id)
        if current is None:
            recording.expired.append(webhook)
            continue
        verdict = judge(
            policy_for(webhook.retry_schedule),
            result,
            attempt_number=webhook.attempt_number,
            attempt_limit=webhook.attempt_limit,
            now=now,
            jitter_draw=draw(),
        )
        state, next_at = (verdict.state, verdict.next_attempt_at) if current in DUE else (current, None)
        recording.settled.append(Settled(index, webhook, state, next_at, verdict.target_gone))
        if webhook.should_group and not blocks_group(state, continue_after_fail=webhook.continue_after_fail):
            recording.releases[(webhook.registration_id, webhook.group_key)] = webhook.continue_after_fail
    return recording
