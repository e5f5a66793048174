"""/api/entities: the entity catalog, the names that may be subscribed to, and their coverage."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from hookline.api.auth import AnyRole, Service, reading_scope
from hookline.api.json_body import json_router
from hookline.api.schemas import EntitiesOut, EntityOut, TypeCoverageOut
from hookline.domain.enums import WebhookEventType

router = json_router(prefix="/api/entities", tags=["entities"])


@router.get("", response_model=EntitiesOut)
async def list_entities(
    caller: AnyRole,
    service: Service,
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
) -> EntitiesOut:
    """The catalog, with how many events were published and Webhooks succeeded per entity and
    type in the last 7 days (the caller's organization; admins: all, or `organizationId`)."""
    coverage = await service.entity_coverage(reading_scope(caller, organization_id))
    types = list(WebhookEventType)
    return EntitiesOut(
        items=[
            EntityOut(
                entity_name=name,
                types=types,
                last_7_days=[
                    TypeCoverageOut(
                        type=kind,
                        events_published=coverage[(name, kind)][0],
                        webhooks_succeeded=coverage[(name, kind)][1],
                    )
                    for kind in types
                ],
            )
            for name in service.catalog.names
        ]
    )
