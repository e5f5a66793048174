"""Prometheus metrics, exposed at /metrics."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram

from hookline.domain.enums import WebhookState

EVENTS_PUBLISHED = Counter("hookline_events_published_total", "Domain events recorded (replays excluded).")
WEBHOOKS_CREATED = Counter("hookline_webhooks_created_total", "Webhooks created by published events.")
WEBHOOKS_SUPERSEDED = Counter(
    "hookline_webhooks_superseded_total",
    "Waiting Webhooks that took over a newer event instead of a new Webhook (coalesceUpdates).",
)
ATTEMPTS = Counter(
    "hookline_attempts_total",
    "Delivery attempts recorded, by outcome (success, failure, blocked).",
    ["outcome"],
)
ATTEMPT_SECONDS = Histogram(
    "hookline_attempt_duration_seconds",
    "Duration of delivery attempts as seen by the worker.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
WEBHOOKS_FINISHED = Counter(
    "hookline_webhooks_finished_total", "Webhooks that reached a final state by delivery.", ["state"]
)
BACKLOG = Gauge(
    "hookline_webhooks_backlog",
    "Unfinished Webhooks in the database, by state (Created, Retrying, Pending), as of the last"
    " maintenance run; every process shows the same database-wide figures.",
    ["state"],
)
DELIVERY_LAG = Gauge(
    "hookline_delivery_lag_seconds",
    "How long the oldest due Webhook no worker holds has been due (0 when none waits), as of"
    " the last maintenance run.",
)
REGISTRATION_ATTEMPTS = Counter(
    "hookline_registration_attempts_total",
    "Delivery attempts recorded per registration, by outcome; opt-in with"
    " HOOKLINE_REGISTRATION_METRICS_LIMIT, past which registrations count as `other`.",
    ["organization_id", "registration_id", "outcome"],
)
OUTCOMES = ("success", "failure", "blocked")
OTHER = "other"


def show_backlog(counts: Mapping[WebhookState, int], oldest_due_at: datetime | None, now: datetime) -> None:
    """Set the backlog gauges from what the database says (see `store.webhooks.backlog`)."""
    for state, count in counts.items():
        BACKLOG.labels(state.label).set(count)
    lag_s = (now - oldest_due_at).total_seconds() if oldest_due_at is not None else 0.0
    DELIVERY_LAG.set(max(lag_s, 0.0))


class RegistrationAttempts:
    """Per-registration attempt counters, with a bound on how many registrations get series.

    The first `limit` registrations this process records attempts for get their own series
    (three each, one per outcome); attempts of any later one count under `other`, so a
    process never exposes more than 3 x (`limit` + 1) series however many registrations
    exist. A limit of 0 turns the counters off.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._series: dict[str, dict[str, Counter]] = {}
        self._other = _labelled(OTHER, OTHER) if limit > 0 else {}

    def count(self, organization_id: str, registration_id: str, outcome: str) -> None:
        if self._limit <= 0:
            return
        series = self._series.get(registration_id)
        if series is None:
            if len(self._series) >= self._limit:
                series = self._other
            else:
                series = self._series[registration_id] = _labelled(organization_id, registration_id)
        series[outcome].inc()


def _labelled(organization_id: str, registration_id: str) -> dict[str, Counter]:
    """One registration's series, resolved once: label look-ups lock and hash on every call."""
    return {
        outcome: REGISTRATION_ATTEMPTS.labels(organization_id, registration_id, outcome)
        for outcome in OUTCOMES
    }
