"""Token buckets: how many requests a key (or a registration's target) may make, and how long
to wait when it may not."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class TokenBucket:
    """Refills `rate_per_s` tokens a second up to `burst`; each request takes one."""

    rate_per_s: float
    burst: float
    tokens: float
    updated_at: datetime

    @classmethod
    def full(cls, rate_per_s: float, burst: float, now: datetime) -> TokenBucket:
        return cls(rate_per_s, burst, burst, now)

    def wait(self, now: datetime) -> timedelta | None:
        """None if a token is available (none is taken); otherwise how long until one is."""
        self._refill(now)
        if self.tokens >= 1:
            return None
        return timedelta(seconds=(1 - self.tokens) / self.rate_per_s)

    def take(self, now: datetime) -> timedelta | None:
        """None if a token was taken; otherwise how long until one is available."""
        wait = self.wait(now)
        if wait is None:
            self.tokens -= 1
        return wait

    def available(self, now: datetime) -> int:
        """How many whole tokens could be taken at `now`."""
        self._refill(now)
        return math.floor(self.tokens)

    def take_up_to(self, wanted: int, now: datetime) -> int:
        """Take as many of `wanted` tokens as there are; answers how many were taken."""
        taken = min(wanted, self.available(now))
        self.tokens -= taken
        return taken

    def next_token(self, now: datetime) -> timedelta | None:
        """How long until the bucket holds one more whole token; None if it is full."""
        self._refill(now)
        if self.tokens >= self.burst:
            return None
        return timedelta(seconds=(math.floor(self.tokens) + 1 - self.tokens) / self.rate_per_s)

    def _refill(self, now: datetime) -> None:
        elapsed = max((now - self.updated_at).total_seconds(), 0.0)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate_per_s)
        self.updated_at = max(now, self.updated_at)
