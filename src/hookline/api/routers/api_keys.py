"""/api/api-keys: admin-only key management; a key is shown once, at creation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Response

from hookline.api.auth import Admin, Service
from hookline.api.json_body import json_router
from hookline.api.paging import PageParams, page_params
from hookline.api.schemas import ApiKeyIn, ApiKeyOut, CreatedApiKeyOut, Paged, paged

router = json_router(prefix="/api/api-keys", tags=["api-keys"])


@router.post("", status_code=201, response_model=CreatedApiKeyOut)
async def create_api_key(body: ApiKeyIn, _: Admin, service: Service) -> CreatedApiKeyOut:
    record, key = await service.create_api_key(body.organization_id, body.role, body.name)
    return CreatedApiKeyOut(**ApiKeyOut.of(record).model_dump(), key=key)


@router.get("", response_model=Paged[ApiKeyOut])
async def list_api_keys(
    _: Admin, service: Service, page: Annotated[PageParams, Depends(page_params)]
) -> dict[str, Any]:
    return paged(await service.list_api_keys(page.page_number, page.page_size), ApiKeyOut.of)


@router.delete("/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, _: Admin, service: Service) -> Response:
    await service.revoke_api_key(key_id)
    return Response(status_code=204)
