"""Health you can see: a registration's figures over a window, and the overview's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hookline.domain.enums import WebhookState
from hookline.domain.records import LastFailure, Registration
from hookline.domain.stats import StatsWindow, nearest_rank
from hookline.service.base import UseCases
from hookline.store import registrations as reg_store
from hookline.store import stats as stats_store
from hookline.store import webhooks as webhooks_store
from hookline.store.stats import AttemptScope, HourCounts


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One hour of attempts; durations None when the hour had none."""

    start: datetime
    successes: int
    failures: int
    mean_duration_ms: int | None
    max_duration_ms: int | None


@dataclass(frozen=True, slots=True)
class Backlog:
    created: int
    retrying: int
    pending: int


@dataclass(frozen=True, slots=True)
class Totals:
    window: StatsWindow
    since: datetime
    until: datetime
    """[since, until): whole hours, the last one the current hour."""
    attempts: int
    successes: int
    failures: int
    series: list[SeriesPoint]
    """One point per hour of the window, oldest first, hours without attempts included."""

    @property
    def success_rate(self) -> float | None:
        """Successful attempts over all attempts (0..1); None without attempts."""
        return self.successes / self.attempts if self.attempts else None


@dataclass(frozen=True, slots=True)
class RegistrationStats:
    totals: Totals
    p50_duration_ms: int | None
    p95_duration_ms: int | None
    """Nearest-rank percentiles of every attempt's duration in the window."""
    backlog: Backlog
    last_failure: LastFailure | None
    """The latest failed attempt in the window."""


@dataclass(frozen=True, slots=True)
class FailingRegistration:
    registration: Registration
    attempts: int
    failures: int
    last_failure_at: datetime

    @property
    def success_rate(self) -> float:
        return (self.attempts - self.failures) / self.attempts


@dataclass(frozen=True, slots=True)
class OverviewStats:
    totals: Totals
    backlog: Backlog
    failing: list[FailingRegistration]
    """The registrations with the most failed attempts in the window, most first."""


class StatsUseCases(UseCases):
    """Figures over a window of whole hours ending now (by the injected clock)."""

    async def registration_stats(
        self, registration_id: str, organization_id: str | None, window: StatsWindow
    ) -> RegistrationStats:
        now = self.clock.now()
        since, until = window.bounds(now)
        scope = AttemptScope(registration_id=registration_id)
        async with self.db.read() as conn:
            await self._registration(conn, registration_id, organization_id)
            totals = _totals(window, now, await stats_store.hourly_counts(conn, scope, since, until))
            p50 = p95 = None
            if totals.attempts:
                p50, p95 = [
                    await stats_store.duration_at_rank(
                        conn, scope, since, until, nearest_rank(fraction, totals.attempts)
                    )
                    for fraction in (0.5, 0.95)
                ]
            last_failure = await stats_store.last_failure(conn, scope, since, until)
            backlog = await webhooks_store.backlog_of(conn, registration_id)
        return RegistrationStats(totals, p50, p95, _backlog(backlog), last_failure)

    async def overview_stats(
        self, organization_id: str | None, window: StatsWindow, *, top: int = 5
    ) -> OverviewStats:
        """The organization's (None: every organization's) deliveries per hour, its backlog,
        and the `top` registrations that failed most in the window."""
        now = self.clock.now()
        since, until = window.bounds(now)
        scope = AttemptScope(organization_id=organization_id)
        async with self.db.read() as conn:
            hours = await stats_store.hourly_counts(conn, scope, since, until)
            by_state = await webhooks_store.count_by_state(conn, organization_id)
            failing = []
            for counts in await stats_store.most_failing(conn, scope, since, until, top):
                registration = await reg_store.get_registration(conn, counts.registration_id, None)
                if registration is not None:  # deleted meanwhile: no page to send anyone to
                    failing.append(
                        FailingRegistration(
                            registration, counts.attempts, counts.failures, counts.last_failure_at
                        )
                    )
        return OverviewStats(_totals(window, now, hours), _backlog(by_state), failing)


def _totals(window: StatsWindow, now: datetime, hours: list[HourCounts]) -> Totals:
    """Every hour of the window, from the hours that had attempts."""
    by_start = {hour.start: hour for hour in hours}
    series = []
    for start in window.hour_starts(now):
        hour = by_start.get(start)
        if hour is None:
            series.append(SeriesPoint(start, 0, 0, None, None))
            continue
        attempts = hour.successes + hour.failures
        series.append(
            SeriesPoint(
                start,
                hour.successes,
                hour.failures,
                round(hour.total_duration_ms / attempts),
                hour.max_duration_ms,
            )
        )
    successes = sum(point.successes for point in series)
    failures = sum(point.failures for point in series)
    since, until = window.bounds(now)
    return Totals(window, since, until, successes + failures, successes, failures, series)


def _backlog(by_state: dict[WebhookState, int]) -> Backlog:
    return Backlog(
        created=by_state.get(WebhookState.CREATED, 0),
        retrying=by_state.get(WebhookState.RETRYING, 0),
        pending=by_state.get(WebhookState.PENDING, 0),
    )
