"""/api/events: publishers report domain events; hookline fans them out to Webhooks."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hookline.api.auth import Publisher, Service, acting_organization
from hookline.api.schemas import EventIn, PublishedOut
from hookline.service import EventDraft

router = APIRouter(prefix="/api/events", tags=["events"])


@router.post("", status_code=202, response_model=PublishedOut)
async def publish_event(
    body: EventIn, caller: Publisher, service: Service, response: Response
) -> PublishedOut:
    """Idempotent on `id`: sending the same id again creates nothing and answers the first result."""
    published = await service.publish(
        EventDraft(
            organization_id=acting_organization(caller, body.organization_id),
            entity_name=body.entity_name,
            type=body.type,
            entity_id=body.entity_id,
            idempotency_id=body.id,
            group_key=body.group_key,
            occurred_at=body.occurred_at,
            data=body.data,
        )
    )
    if published.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return PublishedOut(event_id=published.event_id, webhook_ids=published.webhook_ids)
