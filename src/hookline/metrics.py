"""Prometheus metrics, exposed at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
