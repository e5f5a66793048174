"""/api/webhooks: inspect deliveries and their attempts; abort, resolve or retry by hand."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from hookline.api.auth import Service, Subscriber, reading_scope
from hookline.api.json_body import json_router
from hookline.api.paging import PageParams, page_params
from hookline.api.schemas import (
    AttemptOut,
    BulkIn,
    CountOut,
    Instant,
    Paged,
    WebhookDetailOut,
    WebhookOut,
    paged,
)
from hookline.api.spellings import enum_pattern
from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.errors import InvalidInput
from hookline.domain.records import WebhookFilter

router = json_router(prefix="/api/webhooks", tags=["webhooks"])


def _parsed(field: str, value: str | None, enum: type[WebhookState] | type[WebhookEventType]) -> Any:
    if value is None:
        return None
    try:
        return enum.parse(value)
    except ValueError as error:
        raise InvalidInput.one(field, str(error)) from None


@router.get("", response_model=Paged[WebhookOut])
async def list_webhooks(
    caller: Subscriber,
    service: Service,
    page: Annotated[PageParams, Depends(page_params)],
    registration_id: Annotated[str | None, Query(alias="registrationId", max_length=200)] = None,
    state: Annotated[
        str | None,
        Query(max_length=40, json_schema_extra={"pattern": enum_pattern(WebhookState)}),
    ] = None,
    entity_name: Annotated[str | None, Query(alias="entityName", max_length=200)] = None,
    entity_id: Annotated[str | None, Query(alias="entityId", max_length=200)] = None,
    type_: Annotated[
        str | None, Query(alias="type", max_length=40, description="Event type, id or name")
    ] = None,
    created_after: Annotated[Instant | None, Query(alias="createdAfter", description="Inclusive")] = None,
    created_before: Annotated[Instant | None, Query(alias="createdBefore", description="Exclusive")] = None,
    order: Annotated[
        Literal["newest", "oldest"], Query(description="By creation: newest or oldest first")
    ] = "newest",
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
) -> dict[str, Any]:
    where = WebhookFilter(
        organization_id=reading_scope(caller, organization_id),
        registration_id=registration_id,
        state=_parsed("state", state, WebhookState),
        entity_name=entity_name,
        entity_id=entity_id,
        type=_parsed("type", type_, WebhookEventType),
        created_after=created_after,
        created_before=created_before,
    )
    found = await service.list_webhooks(
        where, page.page_number, page.page_size, oldest_first=order == "oldest"
    )
    return paged(found, WebhookOut.of)


@router.post("/bulk", response_model=CountOut)
async def bulk(body: BulkIn, caller: Subscriber, service: Service) -> CountOut:
    """Retry, abort or resolve every matching Webhook the action is allowed for: retry from
    Successful, Failed, Aborted or Resolved (of active registrations), abort from Created,
    Retrying, Pending or Failed, resolve from those or Aborted. Others are not counted.
    `dryRun` answers the count only; retries are spread at 20 per second."""
    given = body.filter
    where = WebhookFilter(
        organization_id=reading_scope(caller, given.organization_id),
        registration_id=given.registration_id,
        state=given.state,
        entity_name=given.entity_name,
        entity_id=given.entity_id,
        type=given.type,
        created_after=given.created_after,
        created_before=given.created_before,
    )
    return CountOut(count=await service.bulk_act(body.action, where, dry_run=body.dry_run))


@router.get("/{webhook_id}", response_model=WebhookDetailOut)
async def get_webhook(webhook_id: str, caller: Subscriber, service: Service) -> WebhookDetailOut:
    """The Webhook with its `payload` and, when Pending, the Webhook that blocks its group."""
    return WebhookDetailOut.of(await service.get_webhook_detail(webhook_id, caller.organization_id))


@router.get("/{webhook_id}/webhook-attempts", response_model=Paged[AttemptOut])
async def list_attempts(
    webhook_id: str,
    caller: Subscriber,
    service: Service,
    page: Annotated[PageParams, Depends(page_params)],
) -> dict[str, Any]:
    found = await service.list_attempts(webhook_id, caller.organization_id, page.page_number, page.page_size)
    return paged(found, AttemptOut.of)


@router.post("/{webhook_id}/abort", response_model=WebhookOut)
async def abort(webhook_id: str, caller: Subscriber, service: Service) -> WebhookOut:
    """→ Aborted; 409 from Successful or Resolved."""
    return WebhookOut.of(await service.abort(webhook_id, caller.organization_id))


@router.post("/{webhook_id}/resolve", response_model=WebhookOut)
async def resolve(webhook_id: str, caller: Subscriber, service: Service) -> WebhookOut:
    """→ Resolved; 409 from Successful."""
    return WebhookOut.of(await service.resolve(webhook_id, caller.organization_id))


@router.post("/{webhook_id}/retry", response_model=WebhookOut)
async def retry(webhook_id: str, caller: Subscriber, service: Service) -> WebhookOut:
    """One more attempt now, whatever the state; Retrying until it ends."""
    return WebhookOut.of(await service.retry(webhook_id, caller.organization_id))
