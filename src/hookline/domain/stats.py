"""Health figures as pure rules: which hours a window covers, and which rank a percentile is."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum

HOUR = timedelta(hours=1)


class StatsWindow(StrEnum):
    """How far back health figures look: the current hour and the hours before it."""

    DAY = "24h"
    WEEK = "7d"

    @property
    def hours(self) -> int:
        return 24 if self is StatsWindow.DAY else 7 * 24

    @classmethod
    def parse(cls, value: str) -> StatsWindow:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"must be one of {', '.join(w.value for w in cls)}") from None

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """[since, until): whole hours, the last one being the hour `now` falls in, so an
        hourly series covers the window exactly and its sums are the window's totals."""
        until = now.replace(minute=0, second=0, microsecond=0) + HOUR
        return until - self.hours * HOUR, until

    def hour_starts(self, now: datetime) -> list[datetime]:
        since, _ = self.bounds(now)
        return [since + i * HOUR for i in range(self.hours)]


def nearest_rank(fraction: float, count: int) -> int:
    """The 1-based rank of the `fraction` percentile among `count` sorted values (nearest-rank
    method: the smallest value with at least that share of values at or below it; what
    PostgreSQL's percentile_disc answers). `count` must be positive."""
    if count <= 0:
        raise ValueError("no values")
    return max(1, math.ceil(round(fraction * count, 9)))
