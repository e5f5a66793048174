from datetime import UTC, datetime, timedelta

from hookline.domain.ratelimit import TokenBucket

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_full_bucket_allows_a_burst_then_says_how_long_to_wait():
    bucket = TokenBucket.full(rate_per_s=4, burst=4, now=T0)
    assert [bucket.take(T0) for _ in range(4)] == [None] * 4
    assert bucket.take(T0) == timedelta(seconds=0.25)


def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst():
    bucket = TokenBucket.full(rate_per_s=2, burst=2, now=T0)
    bucket.take(T0)
    bucket.take(T0)
    assert bucket.take(T0 + timedelta(seconds=0.5)) is None
    assert bucket.take(T0 + timedelta(seconds=0.5)) == timedelta(seconds=0.5)
    later = T0 + timedelta(hours=1)
    assert [bucket.take(later) for _ in range(3)] == [None, None, timedelta(seconds=0.5)]


def test_a_clock_going_backwards_refills_nothing():
    bucket = TokenBucket.full(rate_per_s=1, burst=1, now=T0)
    assert bucket.take(T0) is None
    assert bucket.take(T0 - timedelta(seconds=10)) == timedelta(seconds=1)
