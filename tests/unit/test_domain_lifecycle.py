"""Random walks through one group's Webhooks, driven as the service and the worker drive them.

The transition table, `judge` and the retry policy are checked against an oracle written from
the words of API.md, not from the code: attempts only when due, Failed exactly after the last
allowed failed attempt, 410 and blocked targets never retried, abort refused (409) from
Successful and Resolved, resolve refused from Successful, retry allowed from any state, and a
group's Pending Webhooks released strictly in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from hookline.clock import FrozenClock
from hookline.domain.enums import WebhookState as S
from hookline.domain.outcome import AttemptResult, judge
from hookline.domain.retry import RetryPolicy
from hookline.domain.states import DUE, blocks_group, can_transition, sources_of

MAX_WEBHOOKS = 5

# What API.md calls done for a group: "Successful, Aborted or Resolved, or also Failed when
# shouldGroupContinueAfterFail is true".
DONE_FOR_GROUP = frozenset({S.SUCCESSFUL, S.ABORTED, S.RESOLVED})

schedules = st.one_of(
    st.just(RetryPolicy.parse()),
    st.just(RetryPolicy.parse("")),
    st.lists(st.integers(0, 7200), max_size=4).map(
        lambda seconds: RetryPolicy(tuple(timedelta(seconds=s) for s in seconds))
    ),
)
waits = st.none() | st.integers(0, 3 * 24 * 3600).map(lambda s: timedelta(seconds=s))
results = st.one_of(
    st.integers(200, 299).map(AttemptResult),
    st.sampled_from([None, 100, 199, 300, 301, 302, 400, 404, 500, 502]).map(AttemptResult),
    st.builds(
        lambda status, wait: AttemptResult(status, retry_after=wait),
        st.sampled_from([429, 503, 500]),
        waits,
    ),
    st.just(AttemptResult(None, error="timeout")),
    st.just(AttemptResult(410)),
    st.just(AttemptResult(None, error="blocked target: 10.0.0.1", blocked=True)),
)


@dataclass
class Webhook:
    state: S
    attempt_limit: int
    next_attempt_at: datetime | None
    attempt_count: int = 0
    history: list[tuple[S, S, str]] = field(default_factory=list)


class GroupLane(RuleBasedStateMachine):
    """One registration's group (`shouldGroup: true`), Webhooks in creation order."""

    @initialize(policy=schedules, continue_after_fail=st.booleans())
    def start(self, policy: RetryPolicy, continue_after_fail: bool) -> None:
        self.clock = FrozenClock()
        self.policy = policy
        self.continue_after_fail = continue_after_fail
        self.lane: list[Webhook] = []
        self.publish()  # a lane exists because a first event arrived

    def move(self, webhook: Webhook, target: S, action: str) -> None:
        assert can_transition(webhook.state, target), (webhook.state, target, action)
        assert webhook.state in sources_of(target)
        event(f"{action}: {webhook.state.label} -> {target.label}")  # see --hypothesis-show-statistics
        webhook.history.append((webhook.state, target, action))
        webhook.state = target
        webhook.next_attempt_at = self.clock.now() if target in DUE else None

    def pick(self, data: st.DataObject) -> Webhook:
        return data.draw(st.sampled_from(self.lane))

    def settle(self) -> None:
        """What the service does after every change: release the oldest Pending Webhook of the
        group once nothing earlier blocks it."""
        pending = [i for i, w in enumerate(self.lane) if w.state is S.PENDING]
        if not pending:
            return
        oldest = pending[0]
        blocked = any(
            blocks_group(w.state, continue_after_fail=self.continue_after_fail) for w in self.lane[:oldest]
        )
        assert blocked is not self.earlier_done(oldest)
        if not blocked:
            self.move(self.lane[oldest], S.CREATED, "release")

    def earlier_done(self, index: int) -> bool:
        done = DONE_FOR_GROUP | ({S.FAILED} if self.continue_after_fail else frozenset())
        return all(earlier.state in done for earlier in self.lane[:index])

    @precondition(lambda self: len(self.lane) < MAX_WEBHOOKS)
    @rule()
    def publish(self) -> None:
        """A matching domain event: Pending behind any earlier unfinished Webhook of the group."""
        waits_in_line = any(
            blocks_group(w.state, continue_after_fail=self.continue_after_fail) for w in self.lane
        )
        assert waits_in_line is not self.earlier_done(len(self.lane))
        state = S.PENDING if waits_in_line else S.CREATED
        due = None if waits_in_line else self.clock.now()
        self.lane.append(Webhook(state, self.policy.max_attempts, due))

    @rule(seconds=st.integers(0, 2 * 24 * 3600))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    @precondition(lambda self: any(w.state in DUE for w in self.lane))
    @rule(data=st.data(), result=results)
    def attempt(self, data: st.DataObject, result: AttemptResult) -> None:
        """A worker claims a due Webhook once `nextAttemptAt` has come, and records the result."""
        webhook = data.draw(st.sampled_from([w for w in self.lane if w.state in DUE]))
        assert webhook.next_attempt_at is not None
        if webhook.next_attempt_at > self.clock.now():
            self.clock.set(webhook.next_attempt_at)
        now = self.clock.now()
        number = webhook.attempt_count + 1
        assert number <= webhook.attempt_limit, "claimed a Webhook with no attempt left"

        verdict = judge(
            self.policy, result, attempt_number=number, attempt_limit=webhook.attempt_limit, now=now
        )
        webhook.attempt_count = number

        status = result.status
        if status is not None and 200 <= status <= 299:
            assert verdict.state is S.SUCCESSFUL
        elif status == 410:
            assert (verdict.state, verdict.target_gone) == (S.FAILED, True)
        elif result.blocked or number == webhook.attempt_limit:
            assert (verdict.state, verdict.target_gone) == (S.FAILED, False)
        else:
            assert verdict.state is S.RETRYING
            delay = self.policy.delays[number - 1]
            if status in (429, 503) and result.retry_after is not None:
                delay = max(delay, min(result.retry_after, self.policy.max_retry_after))
            assert verdict.next_attempt_at == now + delay

        self.move(webhook, verdict.state, "attempt")
        webhook.next_attempt_at = verdict.next_attempt_at
        self.settle()

    @rule(data=st.data())
    def abort(self, data: st.DataObject) -> None:
        """`POST /api/webhooks/{id}/abort`: 409 from Successful or Resolved."""
        webhook = self.pick(data)
        if webhook.state in (S.SUCCESSFUL, S.RESOLVED):
            assert not can_transition(webhook.state, S.ABORTED)
        elif webhook.state is not S.ABORTED:
            self.move(webhook, S.ABORTED, "abort")
        self.settle()

    @rule(data=st.data())
    def resolve(self, data: st.DataObject) -> None:
        """`POST /api/webhooks/{id}/resolve`: 409 from Successful."""
        webhook = self.pick(data)
        if webhook.state is S.SUCCESSFUL:
            assert not can_transition(webhook.state, S.RESOLVED)
        elif webhook.state is not S.RESOLVED:
            self.move(webhook, S.RESOLVED, "resolve")
        self.settle()

    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        """`POST /api/webhooks/{id}/retry`: one more attempt now, whatever the state.

        Modelled as raising the limit to at least one attempt past those made, never lowering it.
        """
        webhook = self.pick(data)
        webhook.attempt_limit = max(webhook.attempt_limit, webhook.attempt_count + 1)
        self.move(webhook, S.RETRYING, "retry")
        self.settle()

    @invariant()
    def attempts_stay_within_the_limit(self) -> None:
        for webhook in self.lane:
            assert 0 <= webhook.attempt_count <= webhook.attempt_limit

    @invariant()
    def exactly_the_due_states_have_a_due_time(self) -> None:
        for webhook in self.lane:
            assert (webhook.next_attempt_at is not None) is (webhook.state in DUE)

    @invariant()
    def a_retrying_webhook_has_an_attempt_left(self) -> None:
        for webhook in self.lane:
            if webhook.state in DUE:
                assert webhook.attempt_count < webhook.attempt_limit

    @invariant()
    def nothing_leaves_successful_but_a_manual_retry(self) -> None:
        for webhook in self.lane:
            for source, _, action in webhook.history:
                if source is S.SUCCESSFUL:
                    assert action == "retry"

    @invariant()
    def only_an_attempt_ends_in_successful_or_failed(self) -> None:
        for webhook in self.lane:
            for _, target, action in webhook.history:
                if target in (S.SUCCESSFUL, S.FAILED):
                    assert action == "attempt"

    @invariant()
    def pending_is_only_ever_the_first_state(self) -> None:
        for webhook in self.lane:
            if webhook.state is S.PENDING:
                assert webhook.history == []
                assert webhook.attempt_count == 0

    @invariant()
    def a_pending_webhook_waits_only_behind_an_unfinished_one(self) -> None:
        for index, webhook in enumerate(self.lane):
            if webhook.state is S.PENDING:
                assert not self.earlier_done(index)


GroupLane.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestGroupLane = GroupLane.TestCase
