"""The overview UI: one module per page or resource, composed into one router.

The form pages come before the registration pages (so `/ui/registrations/new` is not read as
an id), and the catch-all 404 page comes last so that it never shadows a real page.
"""

from __future__ import annotations

from fastapi import APIRouter

from hookline.ui.pages import (
    api_keys,
    bulk,
    bulk_runs,
    events,
    fallback,
    overview,
    recovery,
    registration_form,
    registrations,
    signin,
    static,
    webhooks,
)

router = APIRouter(include_in_schema=False)
for _module in (
    static,
    signin,
    overview,
    registration_form,
    recovery,
    registrations,
    webhooks,
    api_keys,
    bulk,
    bulk_runs,
    events,
    fallback,
):
    router.include_router(_module.router)

__all__ = ["router"]
