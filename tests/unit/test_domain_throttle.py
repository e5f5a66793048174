"""Per-registration token buckets, walked with a frozen clock."""

from datetime import timedelta

import pytest

from hookline.clock import FrozenClock
from hookline.domain.ratelimit import TokenBucket
from hookline.domain.throttle import burst_of, new_bucket, rate_problem, stored_bucket


@pytest.mark.parametrize(("rate", "burst"), [(1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (10_000, 1_000)])
def test_the_burst_is_a_tenth_of_a_second_of_requests_and_at_least_one(rate: int, burst: int) -> None:
    assert burst_of(rate) == burst


def test_a_new_bucket_lets_its_burst_through_then_one_per_refill() -> None:
    clock = FrozenClock()
    bucket = new_bucket(20, clock.now())
    assert bucket.take_up_to(100, clock.now()) == 2
    assert bucket.take_up_to(100, clock.now()) == 0
    assert bucket.wait(clock.now()) == timedelta(milliseconds=50)
    clock.advance(timedelta(milliseconds=50))
    assert bucket.take_up_to(100, clock.now()) == 1
    clock.advance(timedelta(hours=1))  # idle for long: still no more than the burst at once
    assert bucket.take_up_to(100, clock.now()) == 2


def test_over_any_second_a_drained_bucket_allows_the_rate_plus_its_burst() -> None:
    clock = FrozenClock()
    bucket = new_bucket(20, clock.now())
    taken = 0
    for _ in range(100):  # asked every 10 ms for a second
        taken += bucket.take_up_to(5, clock.now())
        clock.advance(timedelta(milliseconds=10))
    assert taken == 20 + 2 - 1  # the burst, then 19 refills in the 0.99 s after the first ask


def test_the_next_token_is_the_next_whole_one_and_none_once_full() -> None:
    clock = FrozenClock()
    bucket = new_bucket(20, clock.now())
    assert bucket.next_token(clock.now()) is None
    bucket.take_up_to(2, clock.now())
    clock.advance(timedelta(milliseconds=20))
    assert bucket.next_token(clock.now()) == timedelta(milliseconds=30)
    clock.advance(timedelta(milliseconds=30))
    assert bucket.next_token(clock.now()) == timedelta(milliseconds=50)  # 1 held, the 2nd is next
    clock.advance(timedelta(milliseconds=50))
    assert bucket.next_token(clock.now()) is None


def test_taking_fewer_than_there_are_leaves_the_rest() -> None:
    clock = FrozenClock()
    bucket = new_bucket(100, clock.now())  # burst 10
    assert bucket.take_up_to(3, clock.now()) == 3
    assert bucket.available(clock.now()) == 7


def test_a_stored_bucket_takes_a_lowered_rate_at_once() -> None:
    clock = FrozenClock()
    bucket = stored_bucket(10, tokens=1000.0, updated_at=clock.now())  # stored under 10,000/s
    assert (bucket.burst, bucket.tokens) == (1, 1)
    assert bucket.take_up_to(5, clock.now()) == 1


def test_an_earlier_instant_than_the_stored_one_refills_nothing() -> None:
    """Workers' clocks differ a little: one behind the last debit must not refill twice."""
    clock = FrozenClock()
    bucket = TokenBucket(10, 1, 0.0, clock.now())
    assert bucket.available(clock.now() - timedelta(seconds=5)) == 0
    assert bucket.updated_at == clock.now()
    assert bucket.available(clock.now() + timedelta(milliseconds=100)) == 1


@pytest.mark.parametrize("rate", [0, -1, 10_001])
def test_a_rate_outside_one_to_ten_thousand_is_refused(rate: int) -> None:
    assert rate_problem(rate) is not None


@pytest.mark.parametrize("rate", [None, 1, 10_000])
def test_unlimited_and_the_bounds_are_accepted(rate: int | None) -> None:
    assert rate_problem(rate) is None
