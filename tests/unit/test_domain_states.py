"""The Webhook state machine table, checked against the lifecycle API.md promises."""

from __future__ import annotations

import itertools

import pytest

from hookline.domain.enums import WebhookState as S
from hookline.domain.states import (
    ALLOWED,
    DUE,
    UNFINISHED,
    blocking_states,
    blocks_group,
    can_transition,
    sources_of,
)

ALL = frozenset(S)


def test_table_names_every_state():
    assert set(ALLOWED) == set(S)


@pytest.mark.parametrize(
    ("current", "allowed"),
    [(S.CREATED, True), (S.RETRYING, True), (S.PENDING, True), (S.FAILED, True),
     (S.SUCCESSFUL, False), (S.RESOLVED, False)],
)  # fmt: skip
def test_abort_is_refused_only_from_successful_and_resolved(current, allowed):
    assert can_transition(current, S.ABORTED) is allowed


@pytest.mark.parametrize(
    ("current", "allowed"),
    [(S.CREATED, True), (S.RETRYING, True), (S.PENDING, True), (S.FAILED, True),
     (S.ABORTED, True), (S.SUCCESSFUL, False)],
)  # fmt: skip
def test_resolve_is_refused_from_successful(current, allowed):
    assert can_transition(current, S.RESOLVED) is allowed


@pytest.mark.parametrize("current", list(S))
def test_manual_retry_is_allowed_whatever_the_state(current):
    assert can_transition(current, S.RETRYING)


@pytest.mark.parametrize("current", [S.CREATED, S.RETRYING])
@pytest.mark.parametrize("outcome", [S.SUCCESSFUL, S.RETRYING, S.FAILED])
def test_an_attempt_may_end_in_any_outcome_from_a_due_state(current, outcome):
    assert can_transition(current, outcome)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.SUCCESSFUL, S.ABORTED),
        (S.SUCCESSFUL, S.RESOLVED),
        (S.SUCCESSFUL, S.FAILED),
        (S.SUCCESSFUL, S.CREATED),
        (S.RESOLVED, S.ABORTED),
        (S.RESOLVED, S.SUCCESSFUL),
        (S.FAILED, S.SUCCESSFUL),  # only an attempt succeeds, and a Failed one is not attempted
        (S.ABORTED, S.SUCCESSFUL),
        (S.PENDING, S.SUCCESSFUL),  # a Pending Webhook is never attempted
        (S.PENDING, S.FAILED),
        (S.RETRYING, S.CREATED),
        (S.FAILED, S.PENDING),  # a pause holds only what still expects an attempt
        (S.ABORTED, S.PENDING),
    ],
)
def test_forbidden_transitions(current, target):
    assert not can_transition(current, target)


def test_pending_is_released_to_created():
    assert can_transition(S.PENDING, S.CREATED)


def test_nothing_leaves_successful_but_a_manual_retry():
    assert {t for t in S if can_transition(S.SUCCESSFUL, t)} == {S.RETRYING}


def test_the_only_self_transition_is_retrying_again():
    assert {s for s in S if can_transition(s, s)} == {S.RETRYING}


def test_only_due_webhooks_enter_pending_held_by_a_pause_and_only_pending_enters_created():
    assert sources_of(S.PENDING) == {S.CREATED, S.RETRYING}
    assert sources_of(S.CREATED) == {S.PENDING}


@pytest.mark.parametrize(
    ("target", "sources"),
    [
        (S.ABORTED, {S.CREATED, S.RETRYING, S.PENDING, S.FAILED}),
        (S.RESOLVED, {S.CREATED, S.RETRYING, S.PENDING, S.FAILED, S.ABORTED}),
        (S.RETRYING, set(S)),
        (S.SUCCESSFUL, {S.CREATED, S.RETRYING}),
        (S.FAILED, {S.CREATED, S.RETRYING}),
    ],
)
def test_sources_of(target, sources):
    assert sources_of(target) == sources


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_sources_of_agrees_with_can_transition(current, target):
    assert (current in sources_of(target)) is can_transition(current, target)


def test_due_and_unfinished():
    assert {S.CREATED, S.RETRYING} == DUE
    assert {S.CREATED, S.RETRYING, S.PENDING} == UNFINISHED


@pytest.mark.parametrize(
    ("state", "continue_after_fail", "blocks"),
    [
        (S.CREATED, False, True),
        (S.CREATED, True, True),
        (S.RETRYING, False, True),
        (S.RETRYING, True, True),
        (S.PENDING, False, True),
        (S.PENDING, True, True),
        (S.FAILED, False, True),  # waits for someone to resolve or abort it
        (S.FAILED, True, False),
        (S.SUCCESSFUL, False, False),
        (S.SUCCESSFUL, True, False),
        (S.ABORTED, False, False),
        (S.ABORTED, True, False),
        (S.RESOLVED, False, False),
        (S.RESOLVED, True, False),
    ],
)
def test_blocks_group(state, continue_after_fail, blocks):
    assert blocks_group(state, continue_after_fail=continue_after_fail) is blocks


def test_blocking_states():
    assert blocking_states(continue_after_fail=False) == {S.CREATED, S.RETRYING, S.PENDING, S.FAILED}
    assert blocking_states(continue_after_fail=True) == {S.CREATED, S.RETRYING, S.PENDING}


def test_continue_after_fail_is_keyword_only():
    with pytest.raises(TypeError):
        blocks_group(S.FAILED, True)  # type: ignore[misc]
