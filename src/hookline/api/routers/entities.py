"""/api/entities: the entity catalog, the names that may be subscribed to."""

from __future__ import annotations

from fastapi import APIRouter

from hookline.api.auth import AnyRole, Service
from hookline.api.schemas import EntitiesOut, EntityOut
from hookline.domain.enums import WebhookEventType

router = APIRouter(prefix="/api/entities", tags=["entities"])


@router.get("", response_model=EntitiesOut)
async def list_entities(_: AnyRole, service: Service) -> EntitiesOut:
    types = list(WebhookEventType)
    return EntitiesOut(items=[EntityOut(entity_name=name, types=types) for name in service.catalog.names])
