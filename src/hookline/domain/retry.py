"""The retry policy: when the next attempt is due, or that there is none."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from hookline.domain.enums import WebhookState

DEFAULT_SCHEDULE = "5m,15m,1h,6h,12h,24h"

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
    """`5m,15m,1h` → the delays after attempts 1, 2, 3; may be empty (one attempt only)."""
    parts = [part for part in text.split(",") if part.strip()]
    return tuple(parse_duration(part) for part in parts)


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

    @classmethod
    def parse(cls, schedule: str = DEFAULT_SCHEDULE) -> RetryPolicy:
        return cls(parse_schedule(schedule))

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
    ) -> Decision:
        """Schedule the next attempt, never sooner than a 429/503 `Retry-After` asks."""
        if attempt_number >= attempt_limit:
            return Decision(WebhookState.FAILED, None)
        delay = self.delay_after(attempt_number)
        if status in _RETRY_AFTER_STATUSES and retry_after is not None:
            delay = max(delay, retry_after)
        try:
            next_attempt_at = now + delay
        except OverflowError:  # a Retry-After past year 9999: the latest instant a datetime holds
            next_attempt_at = datetime.max.replace(tzinfo=now.tzinfo)
        return Decision(WebhookState.RETRYING, next_attempt_at)
