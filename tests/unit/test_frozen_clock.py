"""The injected clock: a FrozenClock moves only when told to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hookline.clock import Clock, FrozenClock, SystemClock


def read(clock: Clock) -> datetime:
    return clock.now()


def test_frozen_clock_starts_at_a_fixed_aware_instant():
    clock = FrozenClock()
    assert read(clock) == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.now() == clock.now()


def test_frozen_clock_starts_where_told():
    start = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert FrozenClock(start).now() == start


def test_advance_moves_and_answers_the_new_instant():
    clock = FrozenClock()
    start = clock.now()
    assert clock.advance(timedelta(minutes=5)) == start + timedelta(minutes=5)
    assert clock.advance(timedelta(hours=43, minutes=15)) == start + timedelta(hours=43, minutes=20)
    assert clock.now() == start + timedelta(hours=43, minutes=20)


def test_set_jumps_anywhere():
    clock = FrozenClock()
    instant = datetime(2030, 6, 1, tzinfo=UTC)
    clock.set(instant)
    assert clock.now() == instant


def test_system_clock_is_aware_utc():
    assert read(SystemClock()).tzinfo is UTC
