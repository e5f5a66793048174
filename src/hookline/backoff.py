"""Capped exponential back-off with jitter, for waiting out a database that went away.

Doubling keeps a long outage to one attempt (and one log line) every few seconds per process;
the jitter spreads the reconnects of many workers, so a restarted PostgreSQL is not met by all
of them in the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first_s: float = 0.1
    cap_s: float = 5.0
    uniform: Callable[[], float] = field(default=random.random, repr=False)
    """A number in [0, 1); injected so tests can pin the jitter."""
    failures: int = 0

    def next_delay_s(self) -> float:
        """The wait after one more failure: between half and all of min(cap, first * 2^n)."""
        ceiling = min(self.cap_s, self.first_s * 2.0 ** min(self.failures, 32))
        self.failures += 1
        return ceiling / 2 + ceiling / 2 * self.uniform()

    def reset(self) -> None:
        """After a success: the next failure starts again from `first_s`."""
        self.failures = 0
