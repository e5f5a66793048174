"""Registrations: create (validated, deduplicated, idempotent, verified), change, pause and
resume, delete, rotate secrets, and test webhooks on demand."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from hookline import client_certificates
from hookline.crypto import new_signing_key, public_signing_key
from hookline.domain import rotation
from hookline.domain.credentials import CertificateSummary
from hookline.domain.enums import AuthorizationType, SignatureScheme, WebhookEventType
from hookline.domain.errors import BlockedTarget, Conflict, ErrorCollector, FieldError, InvalidInput
from hookline.domain.fingerprint import registration_fingerprint
from hookline.domain.headers import bad_token, header_problems
from hookline.domain.records import Attempt, ClaimedWebhook, Page, Registration
from hookline.domain.retry import check_registration_schedule
from hookline.domain.subscriptions import EventChoice, EventSelection
from hookline.domain.throttle import rate_problem
from hookline.domain.urls import normalize_target_url
from hookline.ids import new_id
from hookline.service.base import Principal, UseCases
from hookline.service.drafts import (
    ClientCertificate,
    RegistrationChanges,
    RegistrationDraft,
    RegistrationFilter,
    TargetAuthorization,
)
from hookline.service.selections import checked_selections, selections_of
from hookline.service.target_credentials import (
    certificate_refusal,
    check_client_certificate,
    check_oauth2,
    oauth2_client,
)
from hookline.store import registrations as reg_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Connection, Transaction
from hookline.store.errors import Duplicate
from hookline.store.organizations import ensure_organization

IDEMPOTENCY_WINDOW = timedelta(hours=24)
RESOLVE_TIMEOUT_S = 5.0
TEST_ENTITY = "WebhookRegistration"
PAUSED_BY_HAND = "paused through the API"


class RegistrationUseCases(UseCases):
    """Every change is validated in full first, then written in one transaction."""

    async def register_idempotently(
        self, draft: RegistrationDraft, idempotency_key: str
    ) -> tuple[Registration, str | None, bool]:
        """`register`, safe to retry with the same `Idempotency-Key` for IDEMPOTENCY_WINDOW: a
        repeat answers the first registration and its secret (True: replayed), creating nothing;
        the key with a different request, or after the window, is a conflict."""
        digest = self.box.digest(json.dumps(asdict(draft), sort_keys=True, default=str))
        replay = await self._replay_registration(draft.organization_id, idempotency_key, digest)
        if replay is not None:
            return (*replay, True)
        try:
            registration, secret = await self.register(draft, idempotency=(idempotency_key, digest))
        except (Duplicate, Conflict):  # perhaps a concurrent request with the same key won
            replay = await self._replay_registration(draft.organization_id, idempotency_key, digest)
            if replay is None:
                raise
            return (*replay, True)
        return registration, secret, False

    async def _replay_registration(
        self, organization_id: str, idempotency_key: str, digest: str
    ) -> tuple[Registration, str | None] | None:
        async with self.db.read() as conn:
            found = await reg_store.find_by_idempotency_key(conn, organization_id, idempotency_key)
            if found is None:
                return None
            registration_id, first_digest, created_at = found
            if first_digest != digest:
                raise Conflict("this Idempotency-Key was used with a different request")
            if self.clock.now() - created_at > IDEMPOTENCY_WINDOW:
                raise Conflict("this Idempotency-Key was used more than 24 hours ago; use a new one")
            registration = await self._registration(conn, registration_id, organization_id)
            current, _ = await reg_store.get_signing_secrets(conn, registration_id)
        return registration, _shared_secret(registration.signature_scheme, self.box.decrypt(current))

    async def register(
        self, draft: RegistrationDraft, *, idempotency: tuple[str, str] | None = None
    ) -> tuple[Registration, str | None]:
        """Create a registration; answers its v1 signing secret, the only time it is shown (a v1a
        registration shows its public key on every read instead: None)."""
        now = self.clock.now()
        errors = ErrorCollector()
        normalized, exempt = await self._check_target(draft.target_url, "targetUrl", errors)
        events = self._check_events(draft.enabled_events, errors)
        self._check_authorization(draft.target_authorization, errors, "targetAuthorization")
        await self._check_token_url(draft.target_authorization, errors)
        certificate = self._sealed_certificate(draft.client_certificate, now, errors)
        if draft.client_certificate is not None and (refusal := certificate_refusal(draft.target_url)):
            errors.add("clientCertificate", refusal)
        _check_headers(draft.headers, errors)
        if normalized:
            self._check_transport(normalized, draft.target_authorization.authorization_type, exempt, errors)
        _check_schedule(draft.retry_schedule, errors)
        _check_rate(draft.max_requests_per_second, errors)
        if draft.expires_at is not None and draft.expires_at <= now:
            errors.add("expiresAt", "must be in the future")
        errors.raise_if_any()
        auth = self._sealed(draft.target_authorization)
        fingerprint = registration_fingerprint(
            normalized, events, auth.authorization_type, auth.username, self._headers_digest(draft.headers)
        )
        key = new_signing_key(draft.signature_scheme)
        registration_id = new_id("reg")
        sealed_secret = self.box.encrypt(key)
        if draft.verify:
            await self._verify_target(draft, registration_id, sealed_secret, auth, certificate[0])
        try:
            async with self.db.write() as conn:
                await self._refuse_duplicate(conn, draft.organization_id, fingerprint)
                await ensure_organization(conn, draft.organization_id, now)
                await reg_store.insert_registration(
                    conn,
                    {
                        "id": registration_id,
                        "organization_id": draft.organization_id,
                        "target_url": draft.target_url,
                        "normalized_target_url": normalized,
                        "description": draft.description,
                        "should_group": draft.should_group,
                        "should_group_continue_after_fail": draft.should_group_continue_after_fail,
                        "coalesce_updates": draft.coalesce_updates,
                        "is_active": True,
                        "paused_at": now if draft.is_paused else None,
                        "disabled_reason": PAUSED_BY_HAND if draft.is_paused else None,
                        "expires_at": draft.expires_at,
                        "retry_schedule": reg_store.schedule_text(draft.retry_schedule),
                        "max_requests_per_second": draft.max_requests_per_second,
                        "fingerprint": fingerprint,
                        "signing_secret": sealed_secret,
                        "signature_scheme": draft.signature_scheme.value,
                        "signing_public_key": public_signing_key(key),
                        "custom_header_names": reg_store.header_names_text(draft.headers),
                        "encrypted_custom_headers": self._sealed_headers(draft.headers),
                        **reg_store.client_certificate_values(*certificate),
                        "created_at": now,
                        "updated_at": now,
                        "idempotency_key": idempotency[0] if idempotency else None,
                        "request_digest": idempotency[1] if idempotency else None,
                    },
                )
                await reg_store.replace_enabled_events(conn, registration_id, draft.organization_id, events)
                await reg_store.set_authorization(conn, registration_id, auth)
                created = await reg_store.get_registration(conn, registration_id, None)
        except Duplicate:
            await self._raise_duplicate_after_race(draft.organization_id, fingerprint)
            raise
        assert created is not None
        return created, _shared_secret(draft.signature_scheme, key)

    async def _verify_target(
        self,
        draft: RegistrationDraft,
        registration_id: str,
        sealed_secret: bytes,
        auth: reg_store.Authorization,
        sealed_certificate: bytes | None,
    ) -> None:
        """`verify: true`: the target must answer a signed test webhook with 2xx first."""
        tried = await self._send_test(
            draft.organization_id,
            registration_id,
            draft.target_url,
            sealed_secret,
            None,
            auth,
            self._sealed_headers(draft.headers),
            sealed_certificate,
        )
        if not tried.succeeded:
            answered = tried.error or f"HTTP {tried.response_status}"
            raise InvalidInput(
                [FieldError("targetUrl", f"did not answer the test webhook with 2xx: {answered}")],
                attempt=tried,
            )

    async def get_registration(self, registration_id: str, organization_id: str | None) -> Registration:
        async with self.db.read() as conn:
            return await self._registration(conn, registration_id, organization_id)

    async def search_registrations(
        self, organization_id: str | None, where: RegistrationFilter, page_number: int, page_size: int
    ) -> Page[Registration]:
        normalized = None
        if where.target_url is not None:
            try:
                normalized = normalize_target_url(where.target_url)
            except ValueError as error:
                raise InvalidInput.one("targetUrl", str(error)) from None
        entity_name = None
        if where.entity_name is not None:
            entity_name = self._canonical_entity(where.entity_name, "entityName")
        async with self.db.read() as conn:
            return await reg_store.search_registrations(
                conn,
                reg_store.RegistrationFilter(
                    organization_id=organization_id,
                    normalized_target_url=normalized,
                    entity_name=entity_name,
                    type=where.type,
                    is_active=where.is_active,
                    text=where.query or None,
                ),
                page_number,
                page_size,
            )

    async def pause_registration(self, registration_id: str, organization_id: str | None) -> Registration:
        """Hold the registration's Webhooks in Pending (new ones too) until it is resumed."""
        return await self.update_registration(
            registration_id, organization_id, RegistrationChanges(is_paused=True)
        )

    async def resume_registration(self, registration_id: str, organization_id: str | None) -> Registration:
        """Release what the pause held, in group order at HOOKLINE_RESUME_RATE, and deliver again."""
        return await self.update_registration(
            registration_id, organization_id, RegistrationChanges(is_paused=False)
        )

    async def update_registration(
        self,
        registration_id: str,
        organization_id: str | None,
        changes: RegistrationChanges,
        *,
        by: Principal | None = None,
    ) -> Registration:
        """Apply a PATCH; a deactivation's `disabledReason` names `by`, the key that did it."""
        now = self.clock.now()
        errors = ErrorCollector()
        normalized, exempt = None, False
        if changes.target_url is not None:
            normalized, exempt = await self._check_target(changes.target_url, "targetUrl", errors)
        elif changes.target_authorization is not None:  # new credentials for the current target
            exempt = await self._is_exempt(registration_id, organization_id)
        if changes.target_authorization is not None:
            await self._check_token_url(changes.target_authorization, errors)
        certificate: tuple[bytes | None, CertificateSummary | None] = (None, None)
        if changes.client_certificate is not None:
            certificate = self._sealed_certificate(changes.client_certificate, now, errors)
        events = None
        if changes.enabled_events is not None:
            events = self._check_events(changes.enabled_events, errors)
        if changes.headers is not None:
            _check_headers(changes.headers, errors)
        _check_schedule(changes.retry_schedule, errors)
        _check_rate(changes.max_requests_per_second, errors)
        if changes.expires_at is not None and changes.expires_at <= now:
            errors.add("expiresAt", "must be in the future")
        errors.raise_if_any()
        async with self.db.write() as conn:
            current = await self._registration(conn, registration_id, organization_id)
            stored_auth = await reg_store.get_authorization(conn, registration_id)
            auth = self._merged_authorization(changes.target_authorization, stored_auth)
            stored_headers = await reg_store.get_custom_headers(conn, registration_id)
            headers = self._merged_headers(changes.headers, stored_headers)
            if changes.target_url is not None or changes.target_authorization is not None:
                transport = ErrorCollector()
                self._check_transport(
                    normalized or current.normalized_target_url, auth.authorization_type, exempt, transport
                )
                transport.raise_if_any()
            _refuse_certificate_over_http(current, changes)
            new_events = events if events is not None else selections_of(current.enabled_events)
            new_normalized = normalized or current.normalized_target_url
            fingerprint = registration_fingerprint(
                new_normalized,
                new_events,
                auth.authorization_type,
                auth.username,
                self._headers_digest(headers),
            )
            is_active = current.is_active if changes.is_active is None else changes.is_active
            if changes.is_paused and not is_active:
                raise Conflict(
                    "an inactive registration cannot be paused; reactivate it (isActive: true) first"
                )
            if is_active:
                await self._refuse_duplicate(conn, current.organization_id, fingerprint, registration_id)
            values: dict[str, object] = {
                "fingerprint": fingerprint,
                "updated_at": now,
                "is_active": is_active,
            }
            if changes.target_url is not None:
                values |= {"target_url": changes.target_url, "normalized_target_url": new_normalized}
            if changes.should_group is not None:
                values["should_group"] = changes.should_group
            if changes.should_group_continue_after_fail is not None:
                values["should_group_continue_after_fail"] = changes.should_group_continue_after_fail
            if changes.coalesce_updates is not None:
                values["coalesce_updates"] = changes.coalesce_updates
            if changes.description is not None or changes.clear_description:
                values["description"] = changes.description
            if changes.expires_at is not None or changes.clear_expires_at:
                values["expires_at"] = changes.expires_at
            if changes.headers is not None:
                values |= {
                    "custom_header_names": reg_store.header_names_text(headers),
                    "encrypted_custom_headers": self._sealed_headers(headers),
                }
            if changes.client_certificate is not None or changes.clear_client_certificate:
                values |= reg_store.client_certificate_values(*certificate)
            if changes.retry_schedule is not None or changes.clear_retry_schedule:
                values["retry_schedule"] = reg_store.schedule_text(changes.retry_schedule)
            if changes.max_requests_per_second is not None or changes.clear_max_requests_per_second:
                values["max_requests_per_second"] = changes.max_requests_per_second
            # A reactivated or moved target starts a clean record: no failing streak carried over.
            if is_active and not current.is_active:
                values |= {"disabled_reason": None, "failing_since": None}
            elif new_normalized != current.normalized_target_url:
                values["failing_since"] = None
            if not is_active and current.is_active:
                reason = "deactivated by hand" + (f" by {by.describe()}" if by else "")
                values |= {"disabled_reason": reason, "paused_at": None}
            await reg_store.update_registration(conn, registration_id, values)
            if not is_active and current.is_active:  # registration first: the common lock order
                await webhooks_store.abort_unfinished(conn, registration_id, now)
            if events is not None:
                await reg_store.replace_enabled_events(conn, registration_id, current.organization_id, events)
            if changes.target_authorization is not None:
                await reg_store.set_authorization(conn, registration_id, auth)
            updated = await self._registration(conn, registration_id, None)
            await self._release_after_grouping_change(conn, current, updated, now)
            if changes.is_paused is not None and changes.is_paused is not updated.is_paused and is_active:
                if changes.is_paused:  # announced; a resume also releases what it held
                    await self._health.pause(conn, registration_id, PAUSED_BY_HAND, now)
                else:
                    await self._health.resume(conn, updated, now)
                updated = await self._registration(conn, registration_id, None)
        return updated

    async def _release_after_grouping_change(
        self, conn: Transaction, before: Registration, after: Registration, now: datetime
    ) -> None:
        """Waiting Webhooks must not be stranded when the grouping rules get looser (a paused
        registration's stay held: its resume releases them)."""
        if not after.is_active or after.is_paused:
            return
        if before.should_group and not after.should_group:
            released = await webhooks_store.release_all_pending(conn, after.id, now)
        elif (
            after.should_group
            and after.should_group_continue_after_fail
            and not before.should_group_continue_after_fail
        ):
            released = 0
            for group_key in await webhooks_store.pending_group_keys(conn, after.id):
                if await webhooks_store.release_group(
                    conn, after.id, group_key, continue_after_fail=True, now=now
                ):
                    released += 1
        else:
            return
        if released:
            await conn.wake_workers()

    async def delete_registration(self, registration_id: str, organization_id: str | None) -> None:
        now = self.clock.now()
        async with self.db.write() as conn:
            await self._registration(conn, registration_id, organization_id)
            await reg_store.update_registration(
                conn,
                registration_id,
                {"deleted_at": now, "is_active": False, "disabled_reason": "deleted", "updated_at": now},
            )
            await webhooks_store.abort_unfinished(conn, registration_id, now)

    async def rotate_secret(
        self, registration_id: str, organization_id: str | None, scheme: SignatureScheme | None = None
    ) -> tuple[Registration, str | None]:
        """A new signing key, of `scheme` if given (how a registration changes scheme) else of its
        own; the old one keeps signing alongside for 24 hours, so receivers can switch at their
        pace. Answers the registration (with a v1a key's new public key) and a v1 secret."""
        now = self.clock.now()
        async with self.db.write() as conn:
            registration = await self._registration(conn, registration_id, organization_id)
            scheme = scheme or registration.signature_scheme
            key = new_signing_key(scheme)
            current, sealed_retired = await reg_store.get_signing_secrets(conn, registration_id)
            retired = rotation.decode(self.box.decrypt(sealed_retired)) if sealed_retired else []
            retired = rotation.retire(self.box.decrypt(current), retired, now)
            await reg_store.update_registration(
                conn,
                registration_id,
                {
                    "signing_secret": self.box.encrypt(key),
                    "signature_scheme": scheme.value,
                    "signing_public_key": public_signing_key(key),
                    "retired_signing_secrets": self.box.encrypt(rotation.encode(retired)),
                    "updated_at": now,
                },
            )
            rotated = await self._registration(conn, registration_id, None)
        return rotated, _shared_secret(scheme, key)

    async def test_registration(self, registration_id: str, organization_id: str | None) -> Attempt:
        """Send a signed test webhook now (entity `WebhookRegistration`, the registration's id)."""
        async with self.db.read() as conn:
            registration = await self._registration(conn, registration_id, organization_id)
            auth = await reg_store.get_authorization(conn, registration_id)
            headers = await reg_store.get_custom_headers(conn, registration_id)
            current, retired = await reg_store.get_signing_secrets(conn, registration_id)
            certificate = await reg_store.get_client_certificate(conn, registration_id)
        return await self._send_test(
            registration.organization_id,
            registration.id,
            registration.target_url,
            current,
            retired,
            auth,
            headers,
            certificate,
        )

    async def _send_test(
        self,
        organization_id: str,
        registration_id: str,
        target_url: str,
        sealed_secret: bytes,
        sealed_retired: bytes | None,
        auth: reg_store.Authorization,
        sealed_headers: bytes | None,
        sealed_certificate: bytes | None,
    ) -> Attempt:
        probe_id = new_id("test")
        probe = ClaimedWebhook(
            id=probe_id,
            delivery_id=probe_id,
            lease_token="",
            attempt_number=1,
            attempt_limit=1,
            organization_id=organization_id,
            registration_id=registration_id,
            group_key="",
            should_group=False,
            continue_after_fail=False,
            paused=False,
            retry_schedule=None,
            target_url=target_url,
            signing_secret=sealed_secret,
            retired_signing_secrets=sealed_retired,
            authorization_type=auth.authorization_type,
            username=auth.username,
            encrypted_secret=auth.encrypted_secret,
            encrypted_headers=sealed_headers,
            event_id=new_id("evt"),
            entity_name=TEST_ENTITY,
            type=WebhookEventType.UPDATED,
            entity_id=registration_id,
            occurred_at=self.clock.now(),
            payload=json.dumps({"test": True}),
            relation=None,
            oauth2=auth.oauth2,
            encrypted_client_certificate=sealed_certificate,
        )
        return await self.probe_sender.send_probe(probe)

    async def _check_target(self, url: str, field_name: str, errors: ErrorCollector) -> tuple[str, bool]:
        """Normalized URL if it may be registered (else ""), and whether every address of its
        host lies in the allowed networks; resolves the host like delivery will."""
        try:
            normalized = normalize_target_url(url)
        except ValueError as error:
            errors.add(field_name, str(error))
            return "", False
        parts = urlsplit(normalized)
        exempt = False
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):  # a slow DNS server must not hold the request
                exempt = await self.guard.check_host(parts.hostname or "", parts.port or 0)
        except BlockedTarget as error:
            errors.add(field_name, f"is not allowed: {error}")
        except TimeoutError:
            errors.add(field_name, f"host did not resolve within {RESOLVE_TIMEOUT_S:g} s; try again")
        except OSError as error:
            errors.add(field_name, f"host cannot be resolved: {error.strerror or error}")
        except ValueError as error:  # e.g. UnicodeError from IDNA: an empty or 64+ character label
            errors.add(field_name, f"host name is invalid: {error}")
        return normalized, exempt

    async def _is_exempt(self, registration_id: str, organization_id: str | None) -> bool:
        """Whether the registration's current target lies in the allowed networks (False when it
        no longer resolves or passes the guard: then credentials need https)."""
        registration = await self.get_registration(registration_id, organization_id)
        _, exempt = await self._check_target(registration.target_url, "targetUrl", ErrorCollector())
        return exempt

    async def _check_token_url(self, auth: TargetAuthorization, errors: ErrorCollector) -> None:
        """OAuth2's token URL is reached like a target (SSRF guard, HOOKLINE_REQUIRE_HTTPS), and
        the client secret goes there, so plain http:// only within the allowed networks."""
        if auth.authorization_type is not AuthorizationType.OAUTH2 or not auth.token_url:
            return
        field = "targetAuthorization.tokenUrl"
        normalized, exempt = await self._check_target(auth.token_url, field, errors)
        if normalized:
            refusal = self.guard.transport.refusal(
                normalized, auth.authorization_type, exempt=exempt, field=field
            )
            if refusal is not None:
                errors.add(refusal.field, refusal.message)

    def _sealed_certificate(
        self, certificate: ClientCertificate | None, now: datetime, errors: ErrorCollector
    ) -> tuple[bytes | None, CertificateSummary | None]:
        """The encrypted PEM bundle and its summary, once the pair checks out (None: no certificate)."""
        if certificate is None:
            return None, None
        checked = ErrorCollector()
        summary = check_client_certificate(certificate, now, checked)
        errors.errors.extend(checked.errors)
        if checked.errors:
            return None, None
        sealed = self.box.encrypt(
            client_certificates.bundle(certificate.certificate, certificate.private_key)
        )
        return sealed, summary

    def _check_transport(
        self, url: str, authorization: AuthorizationType, exempt: bool, errors: ErrorCollector
    ) -> None:
        refusal = self.guard.transport.refusal(url, authorization, exempt=exempt)
        if refusal is not None:
            errors.add(refusal.field, refusal.message)

    def _check_events(self, events: list[EventChoice], errors: ErrorCollector) -> list[EventSelection]:
        return checked_selections(self.catalog, events, errors)

    def _check_authorization(
        self, auth: TargetAuthorization, errors: ErrorCollector, prefix: str, *, keeps_secret: bool = False
    ) -> None:
        """`keeps_secret`: a PATCH that leaves out the password or token keeps the stored one."""
        kind = auth.authorization_type
        if kind is AuthorizationType.BASIC:
            if not auth.username:
                errors.add(f"{prefix}.username", "is required for Basic authorization")
            elif ":" in auth.username:
                errors.add(f"{prefix}.username", "must not contain ':' (Basic authorization)")
            if not auth.password and not keeps_secret:
                errors.add(f"{prefix}.password", "is required for Basic authorization")
        elif auth.username or auth.password:
            errors.add(prefix, "username and password are only for Basic authorization")
        if kind is AuthorizationType.BEARER:
            if auth.token:
                problem = bad_token(auth.token)
                if problem:
                    errors.add(f"{prefix}.token", problem)
            elif not keeps_secret:
                errors.add(f"{prefix}.token", "is required for Bearer authorization")
        elif auth.token:
            errors.add(f"{prefix}.token", "is only for Bearer authorization")
        check_oauth2(auth, errors, prefix, keeps_secret=keeps_secret)

    def _merged_authorization(
        self, change: TargetAuthorization | None, stored: reg_store.Authorization
    ) -> reg_store.Authorization:
        """The authorization after a PATCH; a Basic password (same username), a Bearer token or
        an OAuth2 client secret (same client id and token URL) may be omitted to keep the stored one."""
        if change is None:
            return stored
        unsealed = self._sealed(change)
        keeps_secret = (
            change.authorization_type is stored.authorization_type
            and change.authorization_type.carries_credentials
            and not (change.password or change.token or change.client_secret)
            and stored.username == unsealed.username
            and _token_url(stored) == _token_url(unsealed)
        )
        errors = ErrorCollector()
        self._check_authorization(change, errors, "targetAuthorization", keeps_secret=keeps_secret)
        errors.raise_if_any()
        if keeps_secret:
            return replace(unsealed, encrypted_secret=stored.encrypted_secret)
        return unsealed

    def _sealed(self, auth: TargetAuthorization) -> reg_store.Authorization:
        secret = auth.password or auth.token or auth.client_secret
        sealed = self.box.encrypt(secret) if secret else None
        oauth2 = oauth2_client(auth)
        username = oauth2.client_id if oauth2 else auth.username
        return reg_store.Authorization(auth.authorization_type, username, sealed, oauth2)

    def _merged_headers(self, change: dict[str, str | None] | None, sealed: bytes | None) -> dict[str, str]:
        """The custom headers after a PATCH: `change` replaces the set, and a null value keeps
        the stored value of that name (matched case-insensitively)."""
        stored: dict[str, str] = json.loads(self.box.decrypt(sealed)) if sealed else {}
        if change is None:
            return stored
        by_lower = {name.lower(): value for name, value in stored.items()}
        merged: dict[str, str] = {}
        errors = ErrorCollector()
        for name, value in change.items():
            if value is not None:
                merged[name] = value
            elif name.lower() in by_lower:
                merged[name] = by_lower[name.lower()]
            else:
                errors.add(f"headers.{name}", "has no stored value to keep; send its value")
        errors.raise_if_any()
        return merged

    def _sealed_headers(self, headers: dict[str, str]) -> bytes | None:
        return self.box.encrypt(json.dumps(headers)) if headers else None

    def _headers_digest(self, headers: dict[str, str]) -> str:
        """Keyed, so the fingerprint column tells nothing about the values."""
        if not headers:
            return ""
        return self.box.digest(json.dumps(sorted((name.lower(), value) for name, value in headers.items())))

    async def _refuse_duplicate(
        self, conn: Connection, organization_id: str, fingerprint: str, exclude_id: str | None = None
    ) -> None:
        existing = await reg_store.find_live_duplicate(conn, organization_id, fingerprint, exclude_id)
        if existing is not None:
            raise Conflict("an identical active registration exists", existingId=existing)

    async def _raise_duplicate_after_race(self, organization_id: str, fingerprint: str) -> None:
        async with self.db.read() as conn:
            await self._refuse_duplicate(conn, organization_id, fingerprint)


def _token_url(auth: reg_store.Authorization) -> str | None:
    return auth.oauth2.token_url if auth.oauth2 else None


def _refuse_certificate_over_http(current: Registration, changes: RegistrationChanges) -> None:
    """After the PATCH, a client certificate it keeps or gets needs an https:// target."""
    keeps = changes.client_certificate is not None or (
        current.client_certificate is not None and not changes.clear_client_certificate
    )
    if keeps and (refusal := certificate_refusal(changes.target_url or current.target_url)):
        raise InvalidInput.one("clientCertificate", refusal)


def _shared_secret(scheme: SignatureScheme, key: str) -> str | None:
    """What a receiver must be handed once: a v1 secret; a v1a key stays with hookline."""
    return key if scheme is SignatureScheme.V1 else None


def _check_headers(headers: Mapping[str, str | None], errors: ErrorCollector) -> None:
    for field_name, message in header_problems(headers):
        errors.add(field_name, message)


def _check_schedule(items: tuple[str, ...] | None, errors: ErrorCollector) -> None:
    """A registration's `retrySchedule`: units, how many, each within bounds."""
    for index, message in check_registration_schedule(items or ()):
        errors.add("retrySchedule" if index < 0 else f"retrySchedule[{index}]", message)


def _check_rate(rate: int | None, errors: ErrorCollector) -> None:
    if message := rate_problem(rate):
        errors.add("maxRequestsPerSecond", message)
