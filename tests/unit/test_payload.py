"""Instants in the body: ISO-8601 UTC with a `Z`, milliseconds only when present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from hookline.domain.payload import format_instant


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), "2026-11-29T12:00:00Z"),
        (datetime(2026, 11, 29, 12, 0, 5, 250_000, tzinfo=UTC), "2026-11-29T12:00:05.250Z"),
        (
            datetime(2026, 11, 29, 12, 0, 5, 999_999, tzinfo=UTC),
            "2026-11-29T12:00:05.999Z",
        ),  # cut, not rounded
        (datetime(2026, 11, 29, 12, 0, 5, 1, tzinfo=UTC), "2026-11-29T12:00:05.000Z"),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05Z"),  # four-digit year
        (datetime(2026, 11, 30, 1, 30, tzinfo=timezone(timedelta(hours=2))), "2026-11-29T23:30:00Z"),
    ],
)
def test_an_instant_is_written_in_utc_with_a_z(instant: datetime, text: str) -> None:
    assert format_instant(instant) == text
