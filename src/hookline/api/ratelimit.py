"""Per-key request rate limit of one API process: 429 problem+json with Retry-After."""

from __future__ import annotations

import math

from hookline.api.problems import TooManyRequests
from hookline.clock import Clock
from hookline.domain.ratelimit import TokenBucket

MAX_TRACKED_KEYS = 100_000


class RateLimiter:
    """One token bucket per key, `rate_per_s` requests a second with bursts of as many."""

    def __init__(self, rate_per_s: float, clock: Clock) -> None:
        self._rate_per_s = rate_per_s
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, key: str) -> None:
        if self._rate_per_s <= 0:
            return
        now = self._clock.now()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED_KEYS:
                self._buckets.clear()
            bucket = self._buckets[key] = TokenBucket.full(self._rate_per_s, max(self._rate_per_s, 1), now)
        wait = bucket.take(now)
        if wait is not None:
            raise TooManyRequests(max(1, math.ceil(wait.total_seconds())))
