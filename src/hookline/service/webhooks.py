"""Webhooks and attempts: listing, coverage, and settling, retrying or recovering by hand."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from hookline.domain.enums import WebhookEventType, WebhookState
from hookline.domain.errors import Conflict, InvalidInput
from hookline.domain.payload import render_body
from hookline.domain.records import Attempt, DomainEvent, Page, Registration, Webhook, WebhookFilter
from hookline.domain.states import BulkAction, can_transition, sources_of
from hookline.service.base import UseCases
from hookline.service.views import BlockedGroup, WebhookDetail
from hookline.store import attempts as attempts_store
from hookline.store import events as events_store
from hookline.store import registrations as reg_store
from hookline.store import webhooks as webhooks_store
from hookline.store.db import Transaction

COVERAGE_WINDOW = timedelta(days=7)
RECOVER_RATE_PER_S = 20
BULK_BATCH = 500
"""Webhooks per transaction of a bulk action by default (HOOKLINE_BULK_BATCH_SIZE): each holds
its locks only briefly."""


class WebhookUseCases(UseCases):
    """Manual state changes follow the domain's transition table and release waiting groups."""

    bulk_batch_size = BULK_BATCH

    async def list_webhooks(
        self, where: WebhookFilter, page_number: int, page_size: int, *, oldest_first: bool = False
    ) -> Page[Webhook]:
        """Newest first unless `oldest_first`."""
        where = self._checked_filter(where)
        async with self.db.read() as conn:
            return await webhooks_store.list_webhooks(
                conn, where, page_number, page_size, oldest_first=oldest_first
            )

    def _checked_filter(self, where: WebhookFilter, prefix: str = "") -> WebhookFilter:
        """The filter with its entity name as the catalog spells it; an empty time range is refused."""
        if (
            where.created_after is not None
            and where.created_before is not None
            and where.created_before <= where.created_after
        ):
            raise InvalidInput.one(f"{prefix}createdBefore", "must be after createdAfter")
        if where.entity_name is None:
            return where
        return replace(where, entity_name=self._canonical_entity(where.entity_name, f"{prefix}entityName"))

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

    async def get_webhook_detail(self, webhook_id: str, organization_id: str | None) -> WebhookDetail:
        """The Webhook with the body it sends and, when Pending, what holds its group back."""
        async with self.db.read() as conn:
            webhook = await self._webhook(conn, webhook_id, organization_id)
            event = await events_store.get_event(conn, webhook.event_id, None)
            blocked_by = await webhooks_store.blocker_of(conn, webhook_id)
        assert event is not None  # a Webhook's event outlives it (retention purges events last)
        return WebhookDetail(webhook, json.loads(body_of(webhook, event)), blocked_by)

    async def blocked_groups(
        self, registration_id: str, organization_id: str | None, page_number: int, page_size: int
    ) -> Page[BlockedGroup]:
        """The registration's groups with Pending Webhooks, longest waiting first, each with the
        Webhook that holds it back (settle or retry that one to unblock the group)."""
        async with self.db.read() as conn:
            registration = await self._registration(conn, registration_id, organization_id)
            groups = await webhooks_store.pending_groups(conn, registration_id, page_number, page_size)
            items = [
                BlockedGroup(
                    group.group_key,
                    group.pending,
                    group.oldest_pending_at,
                    await webhooks_store.oldest_blocking(
                        conn,
                        registration_id,
                        group.group_key,
                        before_seq=group.first_pending_seq,
                        continue_after_fail=registration.should_group_continue_after_fail,
                    )
                    if registration.should_group and not registration.is_paused
                    else None,
                )
                for group in groups.items
            ]
        return Page(items, groups.page_number, groups.page_size, groups.total_count)

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
            await webhooks_store.grant_attempts(conn, {webhook_id: now}, now)
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
            if registration is not None and registration.should_group:
                group = (
                    webhook.registration_id,
                    webhook.group_key,
                    registration.should_group_continue_after_fail,
                )
                await _release_groups(conn, [group], now)
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
        plan = await self._recovery_plan(registration_id, organization_id, since, until, states)
        return await self._in_batches(plan, dry_run=dry_run)

    async def _recovery_plan(
        self,
        registration_id: str,
        organization_id: str | None,
        since: datetime,
        until: datetime | None,
        states: Sequence[WebhookState],
    ) -> BulkPlan:
        if until is not None and until <= since:
            raise InvalidInput.one("until", "must be after since")
        async with self.db.read() as conn:
            _refuse_unless_delivering(await self._registration(conn, registration_id, organization_id))
        where = WebhookFilter(registration_id=registration_id, created_after=since, created_before=until)
        return BulkPlan(where, frozenset(states), WebhookState.RETRYING, live_only=False)

    async def bulk_act(self, action: BulkAction, where: WebhookFilter, *, dry_run: bool) -> int:
        """Retry, abort or resolve every Webhook matching `where` that the action is allowed for
        (`BulkAction.sources`; retries only for active, unpaused registrations), in batches of
        `bulk_batch_size`, each its own short transaction; answers how many. A dry run answers the
        same count for an unchanged set. Retries are spread at RECOVER_RATE_PER_S, like `recover`."""
        return await self._in_batches(self._bulk_plan(action, where), dry_run=dry_run)

    def _bulk_plan(self, action: BulkAction, where: WebhookFilter) -> BulkPlan:
        where = self._checked_filter(where, "filter.")
        states = action.sources if where.state is None else action.sources & {where.state}
        return BulkPlan(where, states, action.target, live_only=action is BulkAction.RETRY)

    async def _in_batches(
        self, plan: BulkPlan, *, dry_run: bool, progress: BatchProgress | None = None
    ) -> int:
        """Act on the plan's Webhooks batch by batch; `progress` records each batch in the
        batch's own transaction (so a crash leaves each Webhook acted on and counted, or neither)
        and is told when it committed."""
        if not plan.states:
            return 0
        where, states, target, live_only = plan.where, plan.states, plan.target, plan.live_only
        if dry_run:
            async with self.db.read() as conn:
                return await webhooks_store.count_selected(conn, where, states, live_only=live_only)
        done, after_seq = 0, 0
        first_due = self.clock.now()
        spacing = timedelta(seconds=1) / RECOVER_RATE_PER_S
        while True:
            now = self.clock.now()
            async with self.db.write() as conn:
                batch = await webhooks_store.select_batch(
                    conn, where, states, live_only=live_only, after_seq=after_seq, limit=self.bulk_batch_size
                )
                if not batch:
                    break
                after_seq = batch[-1].seq
                if target is WebhookState.RETRYING:
                    due = {item.id: first_due + (done + i) * spacing for i, item in enumerate(batch)}
                    await webhooks_store.grant_attempts(conn, due, now)
                    await conn.wake_workers()
                else:
                    await webhooks_store.settle_many(conn, [item.id for item in batch], target, now)
                    groups = {
                        (i.registration_id, i.group_key, i.continue_after_fail)
                        for i in batch
                        if i.should_group
                    }
                    await _release_groups(conn, sorted(groups), now)
                if progress is not None:
                    await progress.record(conn, len(batch), now)
            done += len(batch)  # locked by the selection: every one of them moved
            if progress is not None:
                await progress.committed()
        return done


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """Which Webhooks a bulk action or a recovery takes, and into which state."""

    where: WebhookFilter
    states: frozenset[WebhookState]
    target: WebhookState
    live_only: bool
    """Retries: only of active, unpaused registrations."""


class BatchProgress(Protocol):
    async def record(self, tx: Transaction, moved: int, now: datetime) -> None:
        """In the batch's transaction."""

    async def committed(self) -> None:
        """After the batch committed, before the next one starts."""


async def _release_groups(tx: Transaction, groups: Iterable[tuple[str, str, bool]], now: datetime) -> None:
    """Make the next Pending Webhook of each (registration, group key, continue after fail)
    group due if nothing holds it back any more, waking workers for it."""
    for registration_id, group_key, continue_after_fail in groups:
        if await webhooks_store.release_group(
            tx, registration_id, group_key, continue_after_fail=continue_after_fail, now=now
        ):
            await tx.wake_workers()


def body_of(webhook: Webhook, event: DomainEvent) -> bytes:
    """The exact bytes delivery sends for this Webhook (domain/payload.py renders them)."""
    return render_body(
        webhook_id=webhook.id,
        registration_id=webhook.registration_id,
        organization_id=webhook.organization_id,
        event_id=event.id,
        entity_name=event.entity_name,
        type_=event.type.value,
        entity_id=event.entity_id,
        occurred_at=event.occurred_at,
        data_json=event.data_json,
        relation_json=event.relation_json,
    )


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
