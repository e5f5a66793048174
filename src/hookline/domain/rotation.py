"""Signing-secret rotation: retired secrets keep signing for a grace period, a few at most."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

GRACE = timedelta(hours=24)
MAX_RETIRED = 3


@dataclass(frozen=True, slots=True)
class RetiredSecret:
    secret: str
    signs_until: datetime


def retire(
    current: str, retired: list[RetiredSecret], now: datetime, *, grace: timedelta = GRACE
) -> list[RetiredSecret]:
    """The retired secrets after `current` is replaced: it first, expired ones dropped, a few kept."""
    live = [entry for entry in retired if entry.signs_until > now]
    return [RetiredSecret(current, now + grace), *live][:MAX_RETIRED]


def signing_secrets(current: str, retired: list[RetiredSecret], now: datetime) -> list[str]:
    """Every secret a request is signed with now: the current one first."""
    return [current, *(entry.secret for entry in retired if entry.signs_until > now)]


def encode(retired: list[RetiredSecret]) -> str:
    return json.dumps([[entry.secret, entry.signs_until.isoformat()] for entry in retired])


def decode(text: str) -> list[RetiredSecret]:
    return [RetiredSecret(secret, datetime.fromisoformat(until)) for secret, until in json.loads(text)]
