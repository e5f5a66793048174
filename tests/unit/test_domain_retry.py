"""The retry policy: the default schedule, durations, and Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookline.domain.enums import WebhookState
from hookline.domain.retry import (
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_SCHEDULE,
    Decision,
    RetryPolicy,
    check_registration_schedule,
    parse_duration,
    parse_jitter,
    parse_retry_after,
    parse_schedule,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def test_default_schedule_is_the_contract():
    policy = RetryPolicy.parse()
    assert DEFAULT_SCHEDULE == "5m,15m,1h,6h,12h,24h"
    assert policy.delays == (5 * M, 15 * M, 1 * H, 6 * H, 12 * H, 24 * H)
    assert policy.max_attempts == 7


def test_walking_seven_failed_attempts_takes_43h20m_then_fails():
    policy = RetryPolicy.parse()
    now = NOW
    instants = []
    for attempt in range(1, 7):
        decision = policy.after_failure(attempt_number=attempt, attempt_limit=7, now=now)
        assert decision.state is WebhookState.RETRYING
        assert decision.next_attempt_at is not None
        instants.append(decision.next_attempt_at)
        now = decision.next_attempt_at  # the next attempt runs exactly when due
    assert instants == [
        NOW + 5 * M,
        NOW + 20 * M,
        NOW + 1 * H + 20 * M,
        NOW + 7 * H + 20 * M,
        NOW + 19 * H + 20 * M,
        NOW + 43 * H + 20 * M,
    ]
    last = policy.after_failure(attempt_number=7, attempt_limit=7, now=now)
    assert last == Decision(WebhookState.FAILED, None)
    assert now - NOW == timedelta(hours=43, minutes=20)


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [(1, 5 * M), (2, 15 * M), (3, 1 * H), (4, 6 * H), (5, 12 * H), (6, 24 * H), (7, 24 * H), (50, 24 * H)],
)
def test_delay_after_each_attempt_and_beyond_the_schedule(attempt, delay):
    assert RetryPolicy.parse().delay_after(attempt) == delay


def test_a_raised_limit_keeps_retrying_with_the_last_delay():
    decision = RetryPolicy.parse().after_failure(attempt_number=7, attempt_limit=8, now=NOW)
    assert decision == Decision(WebhookState.RETRYING, NOW + 24 * H)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250ms", timedelta(milliseconds=250)),
        ("10s", timedelta(seconds=10)),
        ("5m", timedelta(minutes=5)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1.5s", timedelta(milliseconds=1500)),
        ("0s", timedelta(0)),
        (" 5m ", timedelta(minutes=5)),
        ("5 m", timedelta(minutes=5)),
        ("90m", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "5", "m", "ms", "5x", "5min", "-5m", "5m5s", "1e3s", "1,5s", "five m", ".5s"]
)
def test_parse_duration_refuses_anything_else(text):
    with pytest.raises(ValueError, match=r"not a duration: .*ms, s, m, h or d"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("  ", ()),
        ("5m", (5 * M,)),
        ("5m, 15m ,1h", (5 * M, 15 * M, H)),
        ("5m,,15m,", (5 * M, 15 * M)),
    ],
)
def test_parse_schedule(text, expected):
    assert parse_schedule(text) == expected


def test_parse_schedule_refuses_a_bad_part():
    with pytest.raises(ValueError, match="'soon'"):
        parse_schedule("5m,soon")


def test_an_empty_schedule_means_one_attempt():
    policy = RetryPolicy.parse("")
    assert policy.delays == ()
    assert policy.max_attempts == 1
    assert policy.delay_after(1) == timedelta(0)
    assert policy.after_failure(attempt_number=1, attempt_limit=1, now=NOW) == Decision(
        WebhookState.FAILED, None
    )


def test_max_attempts_is_delays_plus_one():
    assert RetryPolicy.parse("1s,2s").max_attempts == 3


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_lengthens_the_wait_on_429_and_503(status):
    decision = RetryPolicy.parse().after_failure(
        attempt_number=1, attempt_limit=7, now=NOW, status=status, retry_after=2 * H
    )
    assert decision == Decision(WebhookState.RETRYING, NOW + 2 * H)


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("retry_after", [timedelta(0), timedelta(seconds=30), 5 * M])
def test_retry_after_never_shortens_the_wait(status, retry_after):
    decision = RetryPolicy.parse().after_failure(
        attempt_number=1, attempt_limit=7, now=NOW, status=status, retry_after=retry_after
    )
    assert decision.next_attempt_at == NOW + 5 * M


@pytest.mark.parametrize("status", [500, 502, 504, 404, 302, None])
def test_retry_after_is_ignored_for_other_statuses(status):
    decision = RetryPolicy.parse().after_failure(
        attempt_number=1, attempt_limit=7, now=NOW, status=status, retry_after=2 * H
    )
    assert decision.next_attempt_at == NOW + 5 * M


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_still_bounded_by_max_attempts(status):
    decision = RetryPolicy.parse().after_failure(
        attempt_number=7, attempt_limit=7, now=NOW, status=status, retry_after=timedelta(seconds=1)
    )
    assert decision == Decision(WebhookState.FAILED, None)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", timedelta(seconds=120)),
        (" 30 ", timedelta(seconds=30)),
        ("0", timedelta(0)),
        ("007", timedelta(seconds=7)),
        ("Sun, 29 Nov 2026 12:10:00 GMT", timedelta(minutes=10)),
        ("Sun, 29 Nov 2026 14:00:00 +0100", timedelta(hours=1)),
        ("Sun, 29 Nov 2026 12:00:00 GMT", timedelta(0)),
        ("Sat, 28 Nov 2026 12:00:00 GMT", timedelta(0)),  # in the past: no extra wait
        ("Thu, 01 Jan 1970 00:00:00 GMT", timedelta(0)),
    ],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header, NOW) == expected


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "soon",
        "-5",
        "1.5",
        "12abc",
        "²",  # str.isdigit() says yes, int() says no
        "٣",
        "Sun, 29 Nov 2026 12:10:00",  # no zone: cannot be placed in time
        "1 Jan 2026 00:00:00 99999999999999999999",  # email.utils overflows on this one
        "Mon, 1 Jan 99999999999999999999 00:00:00 GMT",
    ],
)
def test_parse_retry_after_answers_none_when_absent_or_bad(header):
    assert parse_retry_after(header, NOW) is None


@pytest.mark.parametrize("header", ["9" * 30, "9" * 5000, "100000000000000", "999999999999"])
def test_an_enormous_retry_after_is_honoured_only_up_to_the_ceiling(header):
    wait = parse_retry_after(header, NOW)
    assert wait is not None
    assert wait >= timedelta(days=365 * 3000)
    decision = RetryPolicy.parse().after_failure(
        attempt_number=1, attempt_limit=7, now=NOW, status=429, retry_after=wait
    )
    assert decision.state is WebhookState.RETRYING
    assert decision.next_attempt_at == NOW + DEFAULT_MAX_RETRY_AFTER == NOW + 24 * H


@pytest.mark.parametrize(
    ("ceiling", "asked", "waits"), [(H, 2 * H, H), (H, 30 * M, 30 * M), (10 * M, H, 10 * M)]
)
def test_retry_after_is_capped_at_max_retry_after_but_never_shortens_the_schedule(ceiling, asked, waits):
    policy = RetryPolicy((M, 20 * M), max_retry_after=ceiling)
    first = policy.after_failure(attempt_number=1, attempt_limit=3, now=NOW, status=503, retry_after=asked)
    assert first.next_attempt_at == NOW + waits
    second = policy.after_failure(attempt_number=2, attempt_limit=3, now=NOW, status=503, retry_after=asked)
    assert second.next_attempt_at == NOW + max(20 * M, waits)


def test_a_retry_after_date_past_year_9999_in_utc_does_not_overflow():
    wait = parse_retry_after("Fri, 31 Dec 9999 23:59:59 -2359", NOW)
    assert wait is not None
    decision = RetryPolicy(RetryPolicy.parse().delays, max_retry_after=timedelta.max).after_failure(
        attempt_number=1, attempt_limit=7, now=NOW, status=503, retry_after=wait
    )
    assert decision.next_attempt_at == datetime.max.replace(tzinfo=UTC)


@given(header=st.text())
def test_any_retry_after_header_gives_a_decision(header):
    """A receiver controls this header; whatever it sends, the worker gets a verdict."""
    wait = parse_retry_after(header, NOW)
    assert wait is None or wait >= timedelta(0)
    decision = RetryPolicy.parse().after_failure(
        attempt_number=1, attempt_limit=7, now=NOW, status=429, retry_after=wait
    )
    assert decision.state is WebhookState.RETRYING
    assert decision.next_attempt_at is not None
    assert decision.next_attempt_at >= NOW + 5 * M


@given(
    delays=st.lists(st.integers(0, 10**7), max_size=8).map(
        lambda seconds: tuple(timedelta(seconds=s) for s in seconds)
    ),
    attempt=st.integers(1, 12),
    status=st.sampled_from([None, 302, 404, 429, 500, 503]),
    retry_after=st.none() | st.integers(0, 10**7).map(lambda s: timedelta(seconds=s)),
)
def test_after_failure_follows_the_schedule(delays, attempt, status, retry_after):
    policy = RetryPolicy(delays)
    limit = policy.max_attempts
    decision = policy.after_failure(
        attempt_number=attempt, attempt_limit=limit, now=NOW, status=status, retry_after=retry_after
    )
    if attempt >= limit:
        assert decision == Decision(WebhookState.FAILED, None)
        return
    expected = delays[attempt - 1]
    if status in (429, 503) and retry_after is not None:
        expected = max(expected, min(retry_after, DEFAULT_MAX_RETRY_AFTER))
    assert decision == Decision(WebhookState.RETRYING, NOW + expected)


@given(draw=st.floats(0, 1, exclude_max=True), attempt=st.integers(1, 6))
def test_jitter_stays_within_its_fraction_and_is_a_function_of_the_draw(draw, attempt):
    exact = RetryPolicy.parse()
    jittered = RetryPolicy(exact.delays, jitter=0.2)
    delay = exact.delay_after(attempt)
    decision = jittered.after_failure(attempt_number=attempt, attempt_limit=7, now=NOW, jitter_draw=draw)
    assert decision.next_attempt_at is not None
    assert delay * 0.8 <= decision.next_attempt_at - NOW <= delay * 1.2
    assert decision == jittered.after_failure(
        attempt_number=attempt, attempt_limit=7, now=NOW, jitter_draw=draw
    )
    assert exact.after_failure(
        attempt_number=attempt, attempt_limit=7, now=NOW, jitter_draw=draw
    ) == Decision(WebhookState.RETRYING, NOW + delay)  # off by default: the seed's exact schedule


def test_jitter_never_brings_an_attempt_before_retry_after():
    policy = RetryPolicy((H,), jitter=1.0)
    decision = policy.after_failure(
        attempt_number=1, attempt_limit=2, now=NOW, status=429, retry_after=2 * H, jitter_draw=0.999
    )
    assert decision.next_attempt_at == NOW + 2 * H


@pytest.mark.parametrize(("text", "expected"), [("0", 0.0), ("0.25", 0.25), ("25%", 0.25), ("100%", 1.0)])
def test_parse_jitter(text, expected):
    assert parse_jitter(text) == expected


@pytest.mark.parametrize("text", ["-0.1", "1.5", "150%", "x", ""])
def test_parse_jitter_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_jitter(text)


def test_none_is_the_schedule_with_no_retries():
    assert RetryPolicy.parse("none").max_attempts == RetryPolicy.parse(" None ").max_attempts == 1


def test_a_registration_schedule_overrides_only_the_delays():
    service = RetryPolicy(RetryPolicy.parse().delays, max_retry_after=H, jitter=0.1)
    own = service.with_schedule("10s,1m")
    assert (own.delays, own.max_retry_after, own.jitter) == ((timedelta(seconds=10), M), H, 0.1)
    assert service.with_schedule("").max_attempts == 1
    assert service.with_schedule(None) is service


@pytest.mark.parametrize(
    ("items", "problems"),
    [
        (["10s", "1m"], []),
        ([], []),
        (["1s", "7d"], []),
        (["10 s", "2 h"], []),
        (["10x"], [(0, "not a duration: '10x' (use a number with ms, s, m, h or d)")]),
        (["10s", "500ms", "8d"], [(1, "must be between 1s and 7d"), (2, "must be between 1s and 7d")]),
        (["1m"] * 21, [(-1, "must have at most 20 delays (21 attempts)")]),
    ],
)
def test_check_registration_schedule(items, problems):
    assert check_registration_schedule(items) == problems
