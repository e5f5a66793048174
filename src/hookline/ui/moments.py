"""Times typed into forms: `datetime-local` values, read as UTC like every time in the UI."""

from __future__ import annotations

from datetime import UTC, datetime

MOMENT_FORMAT = "%Y-%m-%dT%H:%M"
"""What a `datetime-local` field sends and shows."""


def read_moment(value: str) -> datetime:
    """`value` as UTC; ValueError with a message for people otherwise."""
    try:
        return datetime.strptime(value, MOMENT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError("enter a date and time such as 2027-01-31T18:00 (UTC)") from None


def show_moment(instant: datetime) -> str:
    """`instant` as a `datetime-local` field shows it (UTC)."""
    instant = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
    return instant.strftime(MOMENT_FORMAT)
