"""Back-off: doubling from the first delay up to the cap, each delay jittered within its upper half."""

from __future__ import annotations

import pytest

from hookline.backoff import Backoff


@pytest.mark.parametrize(
    ("jitter", "expected"), [(0.0, [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]), (0.999, [0.1, 0.2, 0.4, 0.8, 1.0, 1.0])]
)
def test_delays_double_up_to_the_cap_within_their_upper_half(jitter: float, expected: list[float]) -> None:
    backoff = Backoff(first_s=0.1, cap_s=1.0, uniform=lambda: jitter)
    assert [backoff.next_delay_s() for _ in expected] == pytest.approx(expected, rel=1e-3)


def test_a_success_starts_again_from_the_first_delay() -> None:
    backoff = Backoff(first_s=0.1, cap_s=1.0, uniform=lambda: 0.0)
    for _ in range(100):
        backoff.next_delay_s()
    assert backoff.next_delay_s() == 0.5
    backoff.reset()
    assert backoff.next_delay_s() == 0.05
