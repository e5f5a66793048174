"""The Webhook state machine: every allowed transition in one table."""

from __future__ import annotations

from hookline.domain.enums import WebhookState as S

# Created and Retrying enter Pending only when their registration is paused (held until resumed).
ALLOWED: dict[S, frozenset[S]] = {
    S.CREATED: frozenset({S.SUCCESSFUL, S.RETRYING, S.FAILED, S.ABORTED, S.RESOLVED, S.PENDING}),
    S.RETRYING: frozenset({S.SUCCESSFUL, S.RETRYING, S.FAILED, S.ABORTED, S.RESOLVED, S.PENDING}),
    S.PENDING: frozenset({S.CREATED, S.RETRYING, S.ABORTED, S.RESOLVED}),
    S.FAILED: frozenset({S.RETRYING, S.ABORTED, S.RESOLVED}),
    S.ABORTED: frozenset({S.RETRYING, S.RESOLVED}),
    S.RESOLVED: frozenset({S.RETRYING}),
    S.SUCCESSFUL: frozenset({S.RETRYING}),
}

DUE = frozenset({S.CREATED, S.RETRYING})
"""States a worker may claim once `nextAttemptAt` has passed."""

UNFINISHED = frozenset({S.CREATED, S.RETRYING, S.PENDING})
"""States that still expect an attempt; deleting a registration aborts them."""

ENDED = frozenset(S) - UNFINISHED
"""States a Webhook leaves only by hand (retry); retention purges them once old enough."""


def can_transition(current: S, target: S) -> bool:
    return target in ALLOWED[current]


def sources_of(target: S) -> frozenset[S]:
    """Every state from which `target` may be entered; lets SQL guard a transition."""
    return frozenset(state for state, targets in ALLOWED.items() if target in targets)


def blocks_group(state: S, *, continue_after_fail: bool) -> bool:
    """Whether a Webhook in `state` holds back the later Webhooks of its group."""
    if state is S.FAILED:
        return not continue_after_fail
    return state in UNFINISHED


def blocking_states(*, continue_after_fail: bool) -> frozenset[S]:
    return frozenset(s for s in S if blocks_group(s, continue_after_fail=continue_after_fail))
