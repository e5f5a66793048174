"""hookline's use cases, shared by the API, the UI and the CLI.

Each use case commits in one transaction (a batch of events: each event with its Webhooks,
group-committed with its neighbours). `organization_id=None` means "any organization" and is only
passed for admin keys; every other caller is confined to its own organization, and ids of
other organizations answer NotFound, exactly like ids that do not exist.
"""

from __future__ import annotations

from hookline.domain.records import LastFailure, WebhookFilter
from hookline.domain.stats import StatsWindow
from hookline.service.base import Principal
from hookline.service.bulk_runs import BulkRunUseCases
from hookline.service.drafts import (
    ClientCertificate,
    EventDraft,
    RegistrationChanges,
    RegistrationDraft,
    RegistrationFilter,
    Relation,
    TargetAuthorization,
)
from hookline.service.events import EventUseCases
from hookline.service.keys import KEY_RECHECK, ApiKeyUseCases
from hookline.service.registrations import IDEMPOTENCY_WINDOW, TEST_ENTITY, RegistrationUseCases
from hookline.service.sessions import SessionUseCases
from hookline.service.stats import (
    Backlog,
    FailingRegistration,
    OverviewStats,
    RegistrationStats,
    SeriesPoint,
    StatsUseCases,
    Totals,
)
from hookline.service.views import BlockedGroup, EventView, WebhookDetail
from hookline.service.webhooks import COVERAGE_WINDOW, RECOVER_RATE_PER_S


class Hookline(
    ApiKeyUseCases, RegistrationUseCases, EventUseCases, BulkRunUseCases, StatsUseCases, SessionUseCases
):
    """Every use case, one module per resource; built once per process by the runtime."""


__all__ = [
    "COVERAGE_WINDOW",
    "IDEMPOTENCY_WINDOW",
    "KEY_RECHECK",
    "RECOVER_RATE_PER_S",
    "TEST_ENTITY",
    "Backlog",
    "BlockedGroup",
    "ClientCertificate",
    "EventDraft",
    "EventView",
    "FailingRegistration",
    "Hookline",
    "LastFailure",
    "OverviewStats",
    "Principal",
    "RegistrationChanges",
    "RegistrationDraft",
    "RegistrationFilter",
    "RegistrationStats",
    "Relation",
    "SeriesPoint",
    "StatsWindow",
    "TargetAuthorization",
    "Totals",
    "WebhookDetail",
    "WebhookFilter",
]
