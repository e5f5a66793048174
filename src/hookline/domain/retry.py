"""The retry policy: when the next attempt is due, or that there is none.

Pure: the jitter's random draw comes from the caller, so the same inputs give the same decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from hookline.domain.enums import WebhookState

DEFAULT_SCHEDULE = "5m,15m,1h,6h,12h,24h"
NO_RETRIES = "none"
"""HOOKLINE_RETRY_SCHEDULE's word for a single attempt and no retries."""
DEFAULT_MAX_RETRY_AFTER = timedelta(hours=24)
MAX_SCHEDULE_ENTRIES = 20
SCHEDULE_DELAY_BOUNDS = (timedelta(seconds=1), timedelta(days=7))
"""The shortest and longest delay a registration's own `retrySchedule` may ask for."""

_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_MAX_WAIT_S = timedelta.max // timedelta(seconds=1)


def parse_duration(text: str) -> timedelta:
    """`250ms`, `10s`, `5m`, `1h`, `2d` → timedelta; anything else is a ValueError."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use a number with ms, s, m, h or d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_schedule(text: str) -> tuple[timedelta, ...]:
    """`5m,15m,1h` → the delays after attempts 1, 2, 3; `none` or empty: one attempt only."""
    if text.strip().lower() == NO_RETRIES:
        return ()
    parts = [part for part in text.split(",") if part.strip()]
    return tuple(parse_duration(part) for part in parts)


def check_registration_schedule(items: Sequence[str]) -> list[tuple[int, str]]:
    """What is wrong with a registration's `retrySchedule`, as (index or -1, message) pairs."""
    if len(items) > MAX_SCHEDULE_ENTRIES:
        return [
            (-1, f"must have at most {MAX_SCHEDULE_ENTRIES} delays ({MAX_SCHEDULE_ENTRIES + 1} attempts)")
        ]
    low, high = SCHEDULE_DELAY_BOUNDS
    problems = []
    for index, item in enumerate(items):
        try:
            delay = parse_duration(item)
        except ValueError as error:
            problems.append((index, str(error)))
            continue
        if not low <= delay <= high:
            problems.append((index, "must be between 1s and 7d"))
    return problems


def parse_jitter(text: str) -> float:
    """`0.2` or `20%` → 0.2: each delay is scaled by a factor drawn from [1 - j, 1 + j]."""
    value = text.strip()
    fraction = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    if not 0 <= fraction <= 1:
        raise ValueError("must be between 0 and 1 (or 0% and 100%)")
    return fraction


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A `Retry-After` header (seconds or HTTP date) as a wait from `now`; None if absent or bad."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # str.isdigit() alone also takes "²", which int() refuses
        digits = text.lstrip("0") or "0"
        # a timedelta holds no more (and int() refuses over 4300 digits): as good as never
        seconds = int(digits) if len(digits) <= len(str(_MAX_WAIT_S)) else _MAX_WAIT_S
        return timedelta(seconds=min(seconds, _MAX_WAIT_S))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return max(when - now, timedelta(0))


@dataclass(frozen=True, slots=True)
class Decision:
    """What follows a failed attempt: `Retrying` at `next_attempt_at`, or `Failed` for good."""

    state: WebhookState
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    delays: tuple[timedelta, ...]
    max_retry_after: timedelta = DEFAULT_MAX_RETRY_AFTER
    """A `Retry-After` is honoured up to this, never beyond: a target cannot park a Webhook
    (and on a grouped registration its whole group) for years."""
    jitter: float = 0.0
    """Each scheduled delay is scaled by a factor in [1 - jitter, 1 + jitter]; 0: exact."""

    @classmethod
    def parse(cls, schedule: str = DEFAULT_SCHEDULE) -> RetryPolicy:
        return cls(parse_schedule(schedule))

    def with_schedule(self, schedule: str | None) -> RetryPolicy:
        """This policy with a registration's own delays (`10s,1m`; empty: none), if it has them."""
        return self if schedule is None else replace(self, delays=parse_schedule(schedule))

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay_after(self, attempt_number: int) -> timedelta:
        """The wait after attempt `attempt_number` (1-based); extra attempts reuse the last delay."""
        if not self.delays:
            return timedelta(0)
        return self.delays[min(attempt_number, len(self.delays)) - 1]

    def after_failure(
        self,
        *,
        attempt_number: int,
        attempt_limit: int,
        now: datetime,
        status: int | None = None,
        retry_after: timedelta | None = None,
        jitter_draw: float = 0.5,
    ) -> Decision:
        """Schedule the next attempt, never sooner than a 429/503 `Retry-After` asks (up to
        `max_retry_after`). `jitter_draw` is a uniform draw from [0, 1) made by the caller; 0.5
        gives the delay exactly."""
        if attempt_number >= attempt_limit:
            return Decision(WebhookState.FAILED, None)
        delay = self.delay_after(attempt_number)
        if self.jitter:
            delay *= 1 + self.jitter * (2 * jitter_draw - 1)
        if status in _RETRY_AFTER_STATUSES and retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after))
        try:
            next_attempt_at = now + delay
        except OverflowError:  # a Retry-After past year 9999: the latest instant a datetime holds
            next_attempt_at = datetime.max.replace(tzinfo=now.tzinfo)
        return Decision(WebhookState.RETRYING, next_attempt_at)
