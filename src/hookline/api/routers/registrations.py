"""/api/webhook-registrations: register, inspect, change, search, test and recover."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Response

from hookline.api.auth import Service, Subscriber, acting_organization, reading_scope
from hookline.api.json_body import json_router
from hookline.api.paging import PageParams, page_params
from hookline.api.schemas import (
    AttemptOut,
    BlockedGroupOut,
    ClientCertificateIn,
    CountOut,
    CreatedRegistrationOut,
    EnabledEventIn,
    Paged,
    RecoverIn,
    RegistrationIn,
    RegistrationOut,
    RegistrationPatch,
    RegistrationSearch,
    RegistrationStatsOut,
    RotateIn,
    SigningPublicKeyOut,
    SigningSecretOut,
    TargetAuthorizationIn,
    WebhookOut,
    paged,
)
from hookline.domain.errors import InvalidInput
from hookline.domain.records import Registration, WebhookFilter
from hookline.domain.stats import StatsWindow
from hookline.domain.subscriptions import EventChoice
from hookline.service import (
    ClientCertificate,
    RegistrationChanges,
    RegistrationDraft,
    RegistrationFilter,
    TargetAuthorization,
)

router = json_router(prefix="/api/webhook-registrations", tags=["webhook-registrations"])


def _authorization(body: TargetAuthorizationIn | None) -> TargetAuthorization | None:
    if body is None:
        return None
    return TargetAuthorization(
        body.authorization_type,
        body.username,
        body.password,
        body.token,
        token_url=body.token_url,
        client_id=body.client_id,
        client_secret=body.client_secret,
        scope=body.scope,
        audience=body.audience,
    )


def _certificate(body: ClientCertificateIn | None) -> ClientCertificate | None:
    return None if body is None else ClientCertificate(body.certificate, body.private_key)


def _choices(entries: list[EnabledEventIn]) -> list[EventChoice]:
    return [EventChoice(e.entity_name, e.type, e.filter) for e in entries]


@router.post("", status_code=201, response_model=CreatedRegistrationOut | RegistrationOut)
async def create_registration(
    body: RegistrationIn,
    caller: Subscriber,
    service: Service,
    response: Response,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> CreatedRegistrationOut | RegistrationOut:
    """With an `Idempotency-Key` header, retrying the same request within 24 h answers the
    first result (header `Idempotent-Replayed: true`) and creates nothing."""
    draft = RegistrationDraft(
        organization_id=acting_organization(caller, body.organization_id),
        target_url=body.target_url,
        enabled_events=_choices(body.enabled_events),
        should_group=body.should_group,
        should_group_continue_after_fail=body.should_group_continue_after_fail,
        coalesce_updates=body.coalesce_updates,
        target_authorization=_authorization(body.target_authorization) or TargetAuthorization(),
        headers=body.headers or {},
        client_certificate=_certificate(body.client_certificate),
        description=body.description,
        expires_at=body.expires_at,
        is_paused=body.is_paused,
        retry_schedule=None if body.retry_schedule is None else tuple(body.retry_schedule),
        max_requests_per_second=body.max_requests_per_second,
        verify=body.verify,
        signature_scheme=body.signature_scheme,
    )
    if idempotency_key is None:
        registration, secret = await service.register(draft)
    else:
        registration, secret, replayed = await service.register_idempotently(draft, idempotency_key)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
    return _with_secret(registration, secret)


def _with_secret(registration: Registration, secret: str | None) -> CreatedRegistrationOut | RegistrationOut:
    """A v1 registration's secret, shown once; a v1a one shows its public key on every read."""
    shown = RegistrationOut.of(registration)
    return shown if secret is None else CreatedRegistrationOut(**shown.model_dump(), signing_secret=secret)


@router.get("", response_model=Paged[RegistrationOut])
async def list_registrations(
    caller: Subscriber,
    service: Service,
    page: Annotated[PageParams, Depends(page_params)],
    organization_id: Annotated[str | None, Query(alias="organizationId")] = None,
) -> dict[str, Any]:
    found = await service.search_registrations(
        reading_scope(caller, organization_id), RegistrationFilter(), page.page_number, page.page_size
    )
    return paged(found, RegistrationOut.of)


@router.post("/search", response_model=Paged[RegistrationOut])
async def search_registrations(
    body: RegistrationSearch, caller: Subscriber, service: Service
) -> dict[str, Any]:
    where = RegistrationFilter(
        target_url=body.target_url,
        entity_name=body.entity_name,
        type=body.type,
        is_active=body.is_active,
        query=body.query,
    )
    found = await service.search_registrations(
        reading_scope(caller, body.organization_id), where, body.page_number, body.page_size
    )
    return paged(found, RegistrationOut.of)


@router.get("/{registration_id}", response_model=RegistrationOut)
async def get_registration(registration_id: str, caller: Subscriber, service: Service) -> RegistrationOut:
    return RegistrationOut.of(await service.get_registration(registration_id, caller.organization_id))


@router.patch("/{registration_id}", response_model=RegistrationOut)
async def update_registration(
    registration_id: str, body: RegistrationPatch, caller: Subscriber, service: Service
) -> RegistrationOut:
    sent = body.model_fields_set
    for name in RegistrationPatch.not_null:
        if name in sent and getattr(body, name) is None:
            raise InvalidInput.one(_camel(name), "must not be null")
    if "signature_scheme" in sent:
        raise InvalidInput.one(
            "signatureScheme",
            'is not changed by PATCH: POST rotate-secret with {"signatureScheme": ...} '
            "switches it, answering the new secret or public key; the old key signs for 24 h more",
        )
    changes = RegistrationChanges(
        target_url=body.target_url,
        enabled_events=None if body.enabled_events is None else _choices(body.enabled_events),
        should_group=body.should_group,
        should_group_continue_after_fail=body.should_group_continue_after_fail,
        coalesce_updates=body.coalesce_updates,
        target_authorization=_authorization(body.target_authorization),
        headers=({} if body.headers is None else body.headers) if "headers" in sent else None,
        description=body.description,
        clear_description="description" in sent and body.description is None,
        is_active=body.is_active,
        is_paused=body.is_paused,
        retry_schedule=None if body.retry_schedule is None else tuple(body.retry_schedule),
        clear_retry_schedule="retry_schedule" in sent and body.retry_schedule is None,
        max_requests_per_second=body.max_requests_per_second,
        clear_max_requests_per_second="max_requests_per_second" in sent
        and body.max_requests_per_second is None,
        expires_at=body.expires_at,
        clear_expires_at="expires_at" in sent and body.expires_at is None,
        client_certificate=_certificate(body.client_certificate),
        clear_client_certificate="client_certificate" in sent and body.client_certificate is None,
    )
    updated = await service.update_registration(registration_id, caller.organization_id, changes, by=caller)
    return RegistrationOut.of(updated)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@router.delete("/{registration_id}", status_code=204)
async def delete_registration(registration_id: str, caller: Subscriber, service: Service) -> Response:
    await service.delete_registration(registration_id, caller.organization_id)
    return Response(status_code=204)


@router.post("/{registration_id}/rotate-secret", response_model=SigningSecretOut | SigningPublicKeyOut)
async def rotate_secret(
    registration_id: str, caller: Subscriber, service: Service, body: RotateIn | None = None
) -> SigningSecretOut | SigningPublicKeyOut:
    """A new key of the registration's scheme, or of `signatureScheme` to switch: v1 answers its
    secret (shown once), v1a its public key. The old key keeps signing alongside for 24 hours."""
    scheme = body.signature_scheme if body else None
    rotated, secret = await service.rotate_secret(registration_id, caller.organization_id, scheme)
    if secret is not None:
        return SigningSecretOut(signing_secret=secret)
    assert rotated.signing_public_key is not None
    return SigningPublicKeyOut(signing_public_key=rotated.signing_public_key)


@router.get("/{registration_id}/webhooks", response_model=Paged[WebhookOut])
async def list_registration_webhooks(
    registration_id: str,
    caller: Subscriber,
    service: Service,
    page: Annotated[PageParams, Depends(page_params)],
) -> dict[str, Any]:
    await service.get_registration(registration_id, caller.organization_id)
    where = WebhookFilter(organization_id=caller.organization_id, registration_id=registration_id)
    return paged(await service.list_webhooks(where, page.page_number, page.page_size), WebhookOut.of)


@router.get("/{registration_id}/blocked-groups", response_model=Paged[BlockedGroupOut])
async def blocked_groups(
    registration_id: str,
    caller: Subscriber,
    service: Service,
    page: Annotated[PageParams, Depends(page_params)],
) -> dict[str, Any]:
    """Groups with Pending Webhooks, longest waiting first, each with the Webhook blocking it."""
    found = await service.blocked_groups(
        registration_id, caller.organization_id, page.page_number, page.page_size
    )
    return paged(found, BlockedGroupOut.of)


@router.post("/{registration_id}/test", response_model=AttemptOut)
async def test_registration(registration_id: str, caller: Subscriber, service: Service) -> AttemptOut:
    """Send a signed test webhook now; answers what the target did with it (nothing is stored)."""
    return AttemptOut.of(await service.test_registration(registration_id, caller.organization_id))


@router.post("/{registration_id}/recover", response_model=CountOut)
async def recover(registration_id: str, body: RecoverIn, caller: Subscriber, service: Service) -> CountOut:
    count = await service.recover(
        registration_id,
        caller.organization_id,
        since=body.since,
        until=body.until,
        states=body.states,
        dry_run=body.dry_run,
    )
    return CountOut(count=count)


@router.get("/{registration_id}/stats", response_model=RegistrationStatsOut)
async def registration_stats(
    registration_id: str,
    caller: Subscriber,
    service: Service,
    window: Annotated[
        StatsWindow, Query(description="24h or 7d of whole hours, ending with the current one")
    ] = (StatsWindow.DAY),
) -> RegistrationStatsOut:
    """Success rate, durations, backlog, the last failure and attempts per hour."""
    return RegistrationStatsOut.of(
        await service.registration_stats(registration_id, caller.organization_id, window)
    )
