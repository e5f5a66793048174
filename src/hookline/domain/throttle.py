"""Per-registration throttling (`maxRequestsPerSecond`): a token bucket per registration, kept
in the database so that every worker process draws from the same one.

The bucket holds at most a tenth of a second's worth of requests (at least one), so any one
second at the target sees at most `rate + burst_of(rate)` requests, and an idle registration
that wakes up cannot send more than that burst at once.
"""

from __future__ import annotations

import math
from datetime import datetime

from hookline.domain.ratelimit import TokenBucket

MIN_RATE = 1
MAX_RATE = 10_000
"""The bounds of `maxRequestsPerSecond`."""


def burst_of(rate: int) -> int:
    """How many requests a full bucket lets through at once."""
    return max(1, math.ceil(rate / 10))


def new_bucket(rate: int, now: datetime) -> TokenBucket:
    """The bucket of a registration that has not sent yet: full."""
    return TokenBucket.full(rate, burst_of(rate), now)


def stored_bucket(rate: int, tokens: float, updated_at: datetime) -> TokenBucket:
    """A bucket as stored, under the registration's current rate (which may have changed since):
    never more tokens than the current burst."""
    burst = burst_of(rate)
    return TokenBucket(rate, burst, min(tokens, burst), updated_at)


def rate_problem(rate: int | None) -> str | None:
    """What is wrong with a `maxRequestsPerSecond`, if anything (None: unlimited)."""
    if rate is not None and not MIN_RATE <= rate <= MAX_RATE:
        return f"must be between {MIN_RATE} and {MAX_RATE} (or null: unlimited)"
    return None
