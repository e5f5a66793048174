"""The decision part of recording a batch, without a database: next states, stale results and
group releases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hookline.domain.enums import AuthorizationType, WebhookEventType, WebhookState
from hookline.domain.outcome import AttemptResult
from hookline.domain.recording import Recording, decide
from hookline.domain.records import ClaimedWebhook
from hookline.domain.retry import RetryPolicy

NOW = datetime(2026, 1, 1, tzinfo=UTC)
S = WebhookState
POLICY = RetryPolicy.parse("1m,1h")
OK, DOWN, GONE = AttemptResult(200), AttemptResult(503), AttemptResult(410)

CLAIMED = ClaimedWebhook(
    id="wh_1", delivery_id="wh_1", lease_token="lease_1", attempt_number=1, attempt_limit=3,
    organization_id="acme", registration_id="reg_1", group_key="g", should_group=False,
    continue_after_fail=False, paused=False, retry_schedule=None, target_url="http://127.0.0.1/",
    signing_secret=b"", retired_signing_secrets=None, authorization_type=AuthorizationType.NONE,
    username=None, encrypted_secret=None, encrypted_headers=None, event_id="ev_1", entity_name="Process",
    type=WebhookEventType.UPDATED, entity_id="42", occurred_at=NOW, payload="{}", relation=None,
)  # fmt: skip


def webhook(n: int, **fields: object) -> ClaimedWebhook:
    return replace(CLAIMED, id=f"wh_{n}", **fields)  # type: ignore[arg-type]


def decided(batch: list[tuple[ClaimedWebhook, AttemptResult]], held: dict[str, S]) -> Recording:
    return decide(batch, held, policy_for=POLICY.with_schedule, now=NOW, draw=lambda: 0.5)


def test_each_result_gets_its_verdict_in_batch_order() -> None:
    batch = [(webhook(1), OK), (webhook(2), DOWN), (webhook(3, attempt_number=3), DOWN), (webhook(4), GONE)]
    recording = decided(batch, {f"wh_{n}": S.CREATED for n in range(1, 5)})
    assert [(s.index, s.state, s.next_attempt_at, s.target_gone) for s in recording.settled] == [
        (0, S.SUCCESSFUL, None, False),
        (1, S.RETRYING, NOW + timedelta(minutes=1), False),
        (2, S.FAILED, None, False),
        (3, S.FAILED, None, True),
    ]
    assert recording.expired == [] and recording.releases == {}


def test_a_result_whose_lease_was_lost_is_dropped() -> None:
    recording = decided([(webhook(1), OK), (webhook(2), OK)], {"wh_2": S.RETRYING})
    assert [s.webhook.id for s in recording.settled] == ["wh_2"]
    assert [w.id for w in recording.expired] == ["wh_1"]


def test_a_manual_state_set_while_in_flight_wins_over_the_verdict() -> None:
    recording = decided([(webhook(1), DOWN), (webhook(2), OK)], {"wh_1": S.ABORTED, "wh_2": S.RESOLVED})
    assert [(s.state, s.next_attempt_at) for s in recording.settled] == [
        (S.ABORTED, None),
        (S.RESOLVED, None),
    ]


def test_a_registration_s_own_schedule_decides_its_retries() -> None:
    recording = decided([(webhook(1, retry_schedule="10s"), DOWN)], {"wh_1": S.CREATED})
    assert recording.settled[0].next_attempt_at == NOW + timedelta(seconds=10)


def test_groups_are_released_by_what_no_longer_holds_them_back() -> None:
    batch = [
        (webhook(1, should_group=True, group_key="ok"), OK),
        (webhook(2, should_group=True, group_key="retrying"), DOWN),
        (webhook(3, should_group=True, group_key="failed", attempt_number=3), DOWN),
        (
            webhook(4, should_group=True, group_key="goes-on", continue_after_fail=True, attempt_number=3),
            DOWN,
        ),
        (webhook(5, group_key="ungrouped"), OK),
    ]
    recording = decided(batch, {f"wh_{n}": S.CREATED for n in range(1, 6)})
    assert recording.releases == {("reg_1", "ok"): False, ("reg_1", "goes-on"): True}


def test_one_jitter_draw_per_judged_result() -> None:
    draws = iter([0.0, 0.99])
    jittery = replace(RetryPolicy.parse("1m"), jitter=0.5)
    recording = decide(
        [(webhook(1), OK), (webhook(2), DOWN), (webhook(3), DOWN)],
        {"wh_2": S.CREATED, "wh_3": S.CREATED},
        policy_for=jittery.with_schedule,
        now=NOW,
        draw=lambda: next(draws),
    )
    first, second = (s.next_attempt_at for s in recording.settled)
    assert first is not None and second is not None and first < NOW + timedelta(minutes=1) < second
