"""Request rate limits of one API process: 429 problem+json with Retry-After.

One limiter counts each key's requests across every connection of the process; another
counts, per client address, requests that brought an unknown key.
"""

from __future__ import annotations

import math
from datetime import timedelta

from hookline.api.problems import TooManyRequests
from hookline.clock import Clock
from hookline.domain.ratelimit import TokenBucket

MAX_TRACKED = 100_000
"""Buckets kept before all are dropped: random keys or addresses cannot grow memory without end."""


class RateLimiter:
    """One token bucket per name (a key, an address): `rate_per_s` a second, bursts of `burst_s`
    seconds' worth (at least one request)."""

    def __init__(
        self, rate_per_s: float, clock: Clock, *, burst_s: float = 1.0, what: str = "API key"
    ) -> None:
        self._rate_per_s = rate_per_s
        self._burst = max(rate_per_s * burst_s, 1)
        self._clock = clock
        self._what = what
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, name: str) -> None:
        """Take a request from `name`'s bucket, or refuse with 429."""
        self._refuse_after(self._bucket(name).take(self._clock.now()) if self._rate_per_s > 0 else None)

    def refuse_if_spent(self, name: str) -> None:
        """429 if `name` has nothing left, without taking: for a check that costs only on failure."""
        self._refuse_after(self._bucket(name).wait(self._clock.now()) if self._rate_per_s > 0 else None)

    def _bucket(self, name: str) -> TokenBucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._buckets.clear()
            bucket = self._buckets[name] = TokenBucket.full(self._rate_per_s, self._burst, self._clock.now())
        return bucket

    def _refuse_after(self, wait: timedelta | None) -> None:
        if wait is not None:
            retry_after_s = max(1, math.ceil(wait.total_seconds()))
            raise TooManyRequests(
                f"this {self._what} is over its request rate; retry in {retry_after_s} s", retry_after_s
            )
