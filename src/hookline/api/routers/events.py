"""/api/events: publishers report domain events; hookline fans them out to Webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request, Response

from hookline.api.auth import Publisher, Service, Subscriber, acting_organization, hookline_of
from hookline.api.json_body import json_router
from hookline.api.schemas import EventBatchIn, EventIn, EventOut, PublishedBatchOut, PublishedOut
from hookline.domain.errors import ErrorCollector, InvalidInput
from hookline.service import EventDraft, Principal, Relation

router = json_router(prefix="/api/events", tags=["events"])
TraceParent = Annotated[
    str | None,
    Header(
        description="W3C Trace Context: each attempt's request carries a `traceparent` of the same trace"
        " (an invalid value is ignored)."
    ),
]


@router.post("", status_code=202, response_model=PublishedOut)
async def publish_event(
    body: EventIn, caller: Publisher, request: Request, traceparent: TraceParent = None
) -> Response:
    """Idempotent on `id`: sending the same id again creates nothing and answers the first result."""
    # The hot path answers its own JSON (still documented by response_model) and takes the service
    # from the app: FastAPI's response validation and two more dependencies cost about a fifth of
    # a publish's HTTP CPU.
    published = await (await hookline_of(request)).publish(_draft(caller, body, traceparent))
    answer = PublishedOut(event_id=published.event_id, webhook_ids=published.webhook_ids)
    headers = {"Idempotent-Replayed": "true"} if published.replayed else None
    return Response(answer.model_dump_json(by_alias=True), 202, headers, media_type="application/json")


@router.post("/batch", status_code=202, response_model=PublishedBatchOut)
async def publish_events(
    body: EventBatchIn, caller: Publisher, service: Service, traceparent: TraceParent = None
) -> PublishedBatchOut:
    """Up to 500 events in one request, answered in order; one invalid event refuses the batch.

    Each event is recorded with its Webhooks atomically; after an error, send the batch again
    with the same event `id`s: events already recorded are answered, not duplicated.
    """
    errors = ErrorCollector()
    drafts = []
    for index, event in enumerate(body.events):
        try:
            drafts.append(_draft(caller, event, traceparent))
        except InvalidInput as error:  # named where it is: events[3].organizationId
            for field_error in error.errors:
                errors.add(f"events[{index}].{field_error.field}", field_error.message)
    errors.raise_if_any()
    published = await service.publish_many(drafts)
    return PublishedBatchOut(
        items=[PublishedOut(event_id=p.event_id, webhook_ids=p.webhook_ids) for p in published]
    )


@router.get("/{event_id}", response_model=EventOut)
async def get_event(event_id: str, caller: Subscriber, service: Service) -> EventOut:
    """One domain event and every Webhook it made (another organization's event is 404)."""
    return EventOut.of(await service.get_event(event_id, caller.organization_id))


def _draft(caller: Principal, body: EventIn, traceparent: str | None) -> EventDraft:
    return EventDraft(
        organization_id=acting_organization(caller, body.organization_id),
        entity_name=body.entity_name,
        type=body.type,
        entity_id=body.entity_id,
        idempotency_id=body.id,
        group_key=body.group_key,
        occurred_at=body.occurred_at,
        data=body.data,
        relation=None
        if body.relation is None
        else Relation(body.relation.name, tuple(body.relation.ids), body.relation.entity_name),
        traceparent=traceparent,
    )
