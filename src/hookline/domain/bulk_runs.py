"""A long bulk action's progress, as its page shows it: how far it got, and whether it still
runs. Each batch commits together with its progress, so `done` is exactly what was acted on; a
run whose process stopped or crashed stops advancing and is shown as interrupted, never as done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STALE_AFTER = timedelta(minutes=2)
"""A run not advanced for this long is taken for interrupted (its process is gone): one batch
is a short transaction, far quicker than that."""

KEPT_FOR = timedelta(days=7)
"""How long a run's record stays after it last advanced (its page answers 404 after that):
maintenance deletes older ones, so the table holds recent runs only."""

PAST = {"retry": "retried", "recover": "recovered", "abort": "aborted", "resolve": "resolved"}


@dataclass(frozen=True, slots=True)
class BulkRun:
    id: str
    organization_id: str | None
    """None: started by an admin over every organization."""
    action: str
    """retry, abort, resolve (POST /api/webhooks/bulk), or recover (a registration's)."""
    registration_id: str | None
    total: int
    """Counted when it started; Webhooks that match later are not taken, ones that left the set are skipped."""
    done: int
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    interrupted: bool

    def status(self, now: datetime) -> str:
        """`running`, `finished` or `interrupted` (stopped on purpose, or silent too long)."""
        if self.finished_at is not None:
            return "finished"
        if self.interrupted or now - self.updated_at > STALE_AFTER:
            return "interrupted"
        return "running"

    @property
    def past(self) -> str:
        return PAST[self.action]
