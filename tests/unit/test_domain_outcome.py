"""What one attempt's result means for its Webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.enums import WebhookState
from hookline.domain.outcome import GONE, AttemptResult, Verdict, judge
from hookline.domain.retry import RetryPolicy

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy.parse()


def judge_attempt(result: AttemptResult, attempt: int = 1, limit: int = 7) -> Verdict:
    return judge(POLICY, result, attempt_number=attempt, attempt_limit=limit, now=NOW)


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_succeeds(status):
    assert AttemptResult(status).succeeded
    assert judge_attempt(AttemptResult(status)) == Verdict(WebhookState.SUCCESSFUL, None)


@pytest.mark.parametrize("status", [100, 199, 300, 301, 302, 303, 304, 307, 308, 400, 404, 500, None])
def test_anything_else_is_a_failure_redirects_included(status):
    assert not AttemptResult(status).succeeded
    assert judge_attempt(AttemptResult(status)) == Verdict(WebhookState.RETRYING, NOW + timedelta(minutes=5))


def test_success_on_the_last_attempt_is_still_success():
    assert judge_attempt(AttemptResult(204), attempt=7).state is WebhookState.SUCCESSFUL


def test_a_failed_last_attempt_fails_the_webhook():
    result = AttemptResult(None, error="timeout")
    assert judge_attempt(result, attempt=7) == Verdict(WebhookState.FAILED, None)


@pytest.mark.parametrize("attempt", [1, 3, 7])
def test_410_gone_fails_at_once_and_flags_the_target(attempt):
    assert GONE == 410
    verdict = judge_attempt(AttemptResult(410, retry_after=timedelta(minutes=1)), attempt=attempt)
    assert verdict == Verdict(WebhookState.FAILED, None, target_gone=True)


@pytest.mark.parametrize("attempt", [1, 7])
def test_a_blocked_target_fails_without_retry(attempt):
    verdict = judge_attempt(
        AttemptResult(None, error="blocked target: 10.0.0.1", blocked=True), attempt=attempt
    )
    assert verdict == Verdict(WebhookState.FAILED, None, target_gone=False)


@pytest.mark.parametrize("status", [404, 500, 302, None])
def test_an_ordinary_failure_never_flags_the_target(status):
    assert judge_attempt(AttemptResult(status)).target_gone is False


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_reaches_the_verdict(status):
    verdict = judge_attempt(AttemptResult(status, retry_after=timedelta(hours=3)), attempt=2)
    assert verdict == Verdict(WebhookState.RETRYING, NOW + timedelta(hours=3))


def test_retry_after_on_500_is_ignored():
    verdict = judge_attempt(AttemptResult(500, retry_after=timedelta(hours=3)), attempt=2)
    assert verdict == Verdict(WebhookState.RETRYING, NOW + timedelta(minutes=15))
