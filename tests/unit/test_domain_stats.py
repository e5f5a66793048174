"""Health windows cover whole hours ending with the current one; percentiles by nearest rank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hookline.domain.stats import StatsWindow, nearest_rank


def test_a_window_is_whole_hours_ending_with_the_current_one() -> None:
    now = datetime(2026, 1, 5, 12, 34, 56, 789, tzinfo=UTC)
    since, until = StatsWindow.DAY.bounds(now)
    assert until == datetime(2026, 1, 5, 13, tzinfo=UTC)
    assert since == datetime(2026, 1, 4, 13, tzinfo=UTC)
    starts = StatsWindow.WEEK.hour_starts(now)
    assert len(starts) == 168
    assert starts[0] == until - timedelta(days=7)
    assert starts[-1] == datetime(2026, 1, 5, 12, tzinfo=UTC)


def test_only_the_documented_windows_parse() -> None:
    assert StatsWindow.parse("7d") is StatsWindow.WEEK
    for bad in ("1h", "24H", "", "7"):
        with pytest.raises(ValueError, match="24h, 7d"):
            StatsWindow.parse(bad)


@pytest.mark.parametrize(
    ("fraction", "count", "rank"),
    [(0.5, 1, 1), (0.5, 4, 2), (0.5, 5, 3), (0.95, 20, 19), (0.95, 21, 20), (0.95, 100, 95), (0.95, 1, 1)],
)
def test_nearest_rank(fraction: float, count: int, rank: int) -> None:
    assert nearest_rank(fraction, count) == rank
