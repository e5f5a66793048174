"""/api/webhooks: inspect deliveries and their attempts; abort, resolve or retry by hand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from hookline.api.auth import Service, Subscriber, reading_scope
from hookline.api.json_body import json_router
from hookline.api.paging import PageParams, page_params
from hookline.api.schemas import AttemptOut, Paged, WebhookOut, paged
from hookline.api.spellings import enum_pattern
from hookline.domain.enums import WebhookState
from hookline.domain.errors import InvalidInput
from hookline.domain.records import WebhookFilter

router = json_router(prefix="/api/webhooks", tags=["webhooks"])


def _state(value: str | None) -> WebhookState | None:
    if value is None:
        return None
    try:
        return WebhookState.parse(value)
    except ValueError as error:
        raise InvalidInput.one("state", str(error)) from None


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
    organization_id: Annotated[str | None, Query(alias="organizationId", max_length=200)] = None,
) -> dict[str, Any]:
    where = WebhookFilter(
        organization_id=reading_scope(caller, organization_id),
        registration_id=registration_id,
        state=_state(state),
        entity_name=entity_name,
        entity_id=entity_id,
    )
    return paged(await service.list_webhooks(where, page.page_number, page.page_size), WebhookOut.of)


@router.get("/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: str, caller: Subscriber, service: Service) -> WebhookOut:
    return WebhookOut.of(await service.get_webhook(webhook_id, caller.organization_id))


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
