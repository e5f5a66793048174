"""Webhooks and attempts: listing, coverage, and settling, retrying or recovering by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.errors import Conflict, InvalidInput
from hookline.domain.records import Attempt, Page, Registration, Webhook, WebhookFilter
from hookline.domain.states import can_transition, sources_of
from hookline.service.base import UseCases
from hookline.store import attempts as attempts_store
from hookline.store import events as events_store
from hookline.store import registrations as reg_store
from hookline.store import webhooks as webhooks_store

COVERAGE_WINDOW = timedelta(days=7)
RECOVER_RATE_PER_S = 20


class WebhookUseCases(UseCases):
    """Manual state changes follow the domain's transition table and release waiting groups."""

    async def list_webhooks(self, where: WebhookFilter, page_number: int, page_size: int) -> Page[Webhook]:
        if where.entity_name is not None:
            where = replace(where, entity_name=self._canonical_entity(where.entity_name, "entityName"))
        async with self.db.read() as conn:
            return await webhooks_store.list_webhooks(conn, where, page_number, page_size)

    async def entity_coverage(
        self, organization_id: str | None
    ) -> dict[tuple[str, WebhookEventType], tuple[int, int]]:
        """Per catalog entity and type: events published and Webhooks Successful in the last
        COVERAGE_WINDOW, zeros included, so gaps in coverage are visible."""
        async with self.db.read() as conn:
            counts = await events_store.coverage_since(
                conn, organization_id, self.clock.now() - COVERAGE_WINDOW
            )
        return {
            (name, kind): counts.get((name, kind.value), (0, 0))
            for name in self.catalog.names
            for kind in WebhookEventType
        }

    async def count_webhooks_by_state(self, organization_id: str | None) -> dict[WebhookState, int]:
        async with self.db.read() as conn:
            return await webhooks_store.count_by_state(conn, organization_id)

    async def get_webhook(self, webhook_id: str, organization_id: str | None) -> Webhook:
        async with self.db.read() as conn:
            return await self._webhook(conn, webhook_id, organization_id)

    async def list_attempts(
        self, webhook_id: str, organization_id: str | None, page_number: int, page_size: int
    ) -> Page[Attempt]:
        async with self.db.read() as conn:
            await self._webhook(conn, webhook_id, organization_id)
            return await attempts_store.list_attempts(conn, webhook_id, page_number, page_size)

    async def abort(self, webhook_id: str, organization_id: str | None) -> Webhook:
        return await self._settle(webhook_id, organization_id, WebhookState.ABORTED)

    async def resolve(self, webhook_id: str, organization_id: str | None) -> Webhook:
        return await self._settle(webhook_id, organization_id, WebhookState.RESOLVED)

    async def retry(self, webhook_id: str, organization_id: str | None) -> Webhook:
        """One more attempt now, whatever the state; Retrying until that attempt ends."""
        now = self.clock.now()
        async with self.db.write() as conn:
            webhook = await self._webhook(conn, webhook_id, organization_id)
            _refuse_unless_delivering(await reg_store.get_registration(conn, webhook.registration_id, None))
            await webhooks_store.grant_attempt(conn, webhook_id, now)
            await conn.wake_workers()
            return await self._webhook(conn, webhook_id, None)

    async def _settle(self, webhook_id: str, organization_id: str | None, target: WebhookState) -> Webhook:
        """Abort or resolve by hand; releases the next Webhook of its group if that was waiting."""
        now = self.clock.now()
        async with self.db.write() as conn:
            webhook = await self._webhook(conn, webhook_id, organization_id)
            if webhook.state is target:
                return webhook
            if not can_transition(webhook.state, target):
                raise Conflict(
                    f"a {webhook.state.label} webhook cannot become {target.label}", state=webhook.state.value
                )
            moved = await webhooks_store.change_state(
                conn, webhook_id, sources=sources_of(target), target=target, now=now
            )
            if not moved:
                raise Conflict("the webhook changed meanwhile; read it again")
            registration = await reg_store.get_registration(conn, webhook.registration_id, None)
            released = None
            if registration is not None and registration.should_group:
                released = await webhooks_store.release_group(
                    conn,
                    webhook.registration_id,
                    webhook.group_key,
                    continue_after_fail=registration.should_group_continue_after_fail,
                    now=now,
                )
                if released:
                    await conn.wake_workers()
            return await self._webhook(conn, webhook_id, None)

    async def recover(
        self,
        registration_id: str,
        organization_id: str | None,
        *,
        since: datetime,
        until: datetime | None,
        states: Sequence[WebhookState],
        dry_run: bool,
    ) -> int:
        """Give each matching Webhook of the registration one more attempt; answers how many.

        The attempts are spread at RECOVER_RATE_PER_S, so a recovered target is not flooded
        with its whole backlog at once.
        """
        if until is not None and until <= since:
            raise InvalidInput.one("until", "must be after since")
        now = self.clock.now()
        async with self.db.write() as conn:
            registration = await self._registration(conn, registration_id, organization_id)
            _refuse_unless_delivering(registration)
            ids = await webhooks_store.ids_created_between(conn, registration_id, since, until, states)
            if ids and not dry_run:
                spacing = timedelta(seconds=1) / RECOVER_RATE_PER_S
                for position, webhook_id in enumerate(ids):
                    await webhooks_store.grant_attempt(conn, webhook_id, now, due_at=now + position * spacing)
                await conn.wake_workers()
        return len(ids)


def _refuse_unless_delivering(registration: Registration | None) -> None:
    """An attempt by hand goes out only while its registration delivers: the 409 says what to do."""
    if registration is None:
        raise Conflict("its webhook registration was deleted; nothing can be sent for it")
    if not registration.is_active:
        raise Conflict(
            "its webhook registration is inactive; reactivate it first (PATCH isActive: true)",
            registrationId=registration.id,
        )
    if registration.is_paused:
        raise Conflict(
            "its webhook registration is paused; resume it first (PATCH isPaused: false), which "
            "releases what the pause held",
            registrationId=registration.id,
        )
