"""/api/api-keys: key management by admins (any organization) and owners (their own); a key
is shown once, at creation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Response

from hookline.api.auth import KeyManager, Service, acting_organization
from hookline.api.json_body import json_router
from hookline.api.paging import PageParams, page_params
from hookline.api.schemas import ApiKeyIn, ApiKeyOut, CreatedApiKeyOut, Paged, paged

router = json_router(prefix="/api/api-keys", tags=["api-keys"])


@router.post("", status_code=201, response_model=CreatedApiKeyOut)
async def create_api_key(body: ApiKeyIn, caller: KeyManager, service: Service) -> CreatedApiKeyOut:
    organization = acting_organization(caller, body.organization_id)
    by_owner = caller.organization_id is not None
    record, key = await service.create_api_key(organization, body.role, body.name, by_owner=by_owner)
    return CreatedApiKeyOut(**ApiKeyOut.of(record).model_dump(), key=key)


@router.get("", response_model=Paged[ApiKeyOut])
async def list_api_keys(
    caller: KeyManager, service: Service, page: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    found = await service.list_api_keys(page.page_number, page.page_size, caller.organization_id)
    return paged(found, ApiKeyOut.of)


@router.delete("/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, caller: KeyManager, service: Service) -> Response:
    await service.revoke_api_key(key_id, caller.organization_id)
    return Response(status_code=204)
