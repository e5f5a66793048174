"""What one attempt's result means for its Webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hookline.domain.enums import WebhookState
from hookline.domain.records import Attempt, ClaimedWebhook
from hookline.domain.retry import RetryPolicy

GONE = 410


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What the sender observed: an HTTP status, or an error naming why none arrived."""

    status: int | None
    error: str | None = None
    retry_after: timedelta | None = None
    blocked: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Verdict:
    state: WebhookState
    next_attempt_at: datetime | None
    target_gone: bool = False


def judge(
    policy: RetryPolicy,
    result: AttemptResult,
    *,
    attempt_number: int,
    attempt_limit: int,
    now: datetime,
    jitter_draw: float = 0.5,
) -> Verdict:
    """Successful on 2xx; Failed at once on 410 Gone or a blocked target; else the retry policy
    (`jitter_draw`: the caller's uniform draw from [0, 1) for the policy's jitter)."""
    if result.succeeded:
        return Verdict(WebhookState.SUCCESSFUL, None)
    if result.status == GONE:
        return Verdict(WebhookState.FAILED, None, target_gone=True)
    if result.blocked:
        return Verdict(WebhookState.FAILED, None)
    decision = policy.after_failure(
        attempt_number=attempt_number,
        attempt_limit=attempt_limit,
        now=now,
        status=result.status,
        retry_after=result.retry_after,
        jitter_draw=jitter_draw,
    )
    return Verdict(decision.state, decision.next_attempt_at)


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What one recorded attempt tells about its registration's health."""

    webhook: ClaimedWebhook
    attempt: Attempt
    state: WebhookState
    """The state the attempt left the Webhook in."""
    target_gone: bool
