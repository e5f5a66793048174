"""Webhooks: listing, guarded state changes, group release, and the worker's claim.

Every state change names the states it may leave (from the domain's transition table), so a
change that lost a race touches no row instead of overwriting a newer state.
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    Update,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal_column,
    select,
    text,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.domain.enums import AuthorizationType, WebhookEventType, WebhookState
from hookline.domain.ratelimit import TokenBucket
from hookline.domain.records import ClaimedWebhook, Page, Webhook, WebhookFilter
from hookline.domain.states import ENDED, UNFINISHED, blocking_states, sources_of
from hookline.store import throttles
from hookline.store.registrations import AUTHORIZATION_COLUMNS, oauth2_of
from hookline.store.sql import count_of
from hookline.store.tables import (
    UNFINISHED_STATES,
    domain_events,
    webhook_attempts,
    webhook_registrations,
    webhook_target_authorizations,
    webhooks,
)
from hookline.store.types import UtcDateTime

w, d, r = webhooks, domain_events, webhook_registrations
S = WebhookState

# Literals, so SQLite's planner can prove the partial indexes ix_webhooks_due, _unfinished and
# _ended apply.
_DUE = text(f"webhooks.state IN ({S.CREATED.value}, {S.RETRYING.value})")
_UNFINISHED = text(f"webhooks.state IN ({', '.join(str(s.value) for s in sorted(UNFINISHED))})")
_ENDED = text(f"webhooks.state IN ({', '.join(str(s.value) for s in sorted(ENDED))})")


def _filtered(query: Select[Any], where: WebhookFilter) -> Select[Any]:
    """`query` (over webhooks joined with their events) narrowed to `where`."""
    if where.organization_id is not None:
        query = query.where(w.c.organization_id == where.organization_id)
    if where.registration_id is not None:
        query = query.where(w.c.registration_id == where.registration_id)
    if where.state is not None:
        query = query.where(w.c.state == where.state.value)
    if where.entity_name is not None:
        query = query.where(d.c.entity_name == where.entity_name)
    if where.entity_id is not None:
        query = query.where(d.c.entity_id == where.entity_id)
    if where.type is not None:
        query = query.where(d.c.type == where.type.value)
    if where.created_after is not None:
        query = query.where(w.c.created_at >= where.created_after)
    if where.created_before is not None:
        query = query.where(w.c.created_at < where.created_before)
    return query


def _listing() -> Select[Any]:
    return select(
        w.c.id, w.c.organization_id, w.c.registration_id, w.c.webhook_event_id, w.c.domain_event_id,
        d.c.entity_name, d.c.type, d.c.entity_id, w.c.group_key, w.c.state, w.c.attempt_count,
        w.c.next_attempt_at, w.c.created_at, w.c.updated_at,
    ).join(d, d.c.id == w.c.domain_event_id)  # fmt: skip


def _record(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        organization_id=row.organization_id,
        registration_id=row.registration_id,
        webhook_event_id=row.webhook_event_id,
        event_id=row.domain_event_id,
        entity_name=row.entity_name,
        type=WebhookEventType(row.type),
        entity_id=row.entity_id,
        group_key=row.group_key,
        state=WebhookState(row.state),
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def get_webhook(conn: AsyncConnection, webhook_id: str, organization_id: str | None) -> Webhook | None:
    query = _listing().where(w.c.id == webhook_id)
    if organization_id is not None:
        query = query.where(w.c.organization_id == organization_id)
    row = (await conn.execute(query)).first()
    return _record(row) if row else None


async def webhooks_of_event(conn: AsyncConnection, event_id: str) -> list[Webhook]:
    """Every Webhook the event made (or took over), oldest first; the unique key
    (domain_event_id, webhook_event_id) finds them."""
    rows = await conn.execute(_listing().where(w.c.domain_event_id == event_id).order_by(w.c.seq))
    return [_record(row) for row in rows]


async def blocker_of(conn: AsyncConnection, webhook_id: str) -> Webhook | None:
    """The oldest Webhook that holds back this Pending Webhook's group, if any (ix_webhooks_group).

    That one is what to settle or retry: everything between it and this Webhook waits too.
    """
    me = (
        await conn.execute(
            select(
                w.c.seq, w.c.registration_id, w.c.group_key, w.c.state,
                r.c.should_group, r.c.should_group_continue_after_fail, r.c.paused_at,
            )
            .join(r, r.c.id == w.c.registration_id)
            .where(w.c.id == webhook_id)
        )
    ).first()  # fmt: skip
    if me is None or me.state != S.PENDING.value or not me.should_group or me.paused_at is not None:
        return None  # a paused registration's Webhooks wait for the resume, not for each other
    return await oldest_blocking(
        conn,
        me.registration_id,
        me.group_key,
        before_seq=me.seq,
        continue_after_fail=me.should_group_continue_after_fail,
    )


@dataclass(frozen=True, slots=True)
class PendingGroup:
    group_key: str
    pending: int
    first_pending_seq: int
    oldest_pending_at: datetime


async def pending_groups(
    conn: AsyncConnection, registration_id: str, page_number: int, page_size: int
) -> Page[PendingGroup]:
    """The registration's groups with Pending Webhooks, the longest waiting first
    (ix_webhooks_unfinished)."""
    first = func.min(w.c.seq)
    query = (
        select(w.c.group_key, func.count(), first, func.min(w.c.created_at, type_=UtcDateTime()))
        .where(
            w.c.registration_id == registration_id,
            _UNFINISHED,
            w.c.state == literal_column(str(S.PENDING.value)),
        )
        .group_by(w.c.group_key)
    )
    total = await count_of(conn, query)
    rows = await conn.execute(query.order_by(first).limit(page_size).offset((page_number - 1) * page_size))
    return Page([PendingGroup(*row) for row in rows], page_number, page_size, total)


async def oldest_blocking(
    conn: AsyncConnection, registration_id: str, group_key: str, *, before_seq: int, continue_after_fail: bool
) -> Webhook | None:
    """The oldest Webhook of the group before `before_seq` that holds the group back."""
    states = [s.value for s in blocking_states(continue_after_fail=continue_after_fail)]
    query = (
        _listing()
        .where(
            w.c.registration_id == registration_id,
            w.c.group_key == group_key,
            w.c.seq < before_seq,
            w.c.state.in_(states),
        )
        .order_by(w.c.seq)
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return _record(row) if row else None


async def list_webhooks(
    conn: AsyncConnection,
    where: WebhookFilter,
    page_number: int,
    page_size: int,
    *,
    oldest_first: bool = False,
) -> Page[Webhook]:
    """Newest first unless `oldest_first`, so an overview opens on what just happened."""
    query = _filtered(_listing(), where)
    total = await count_of(conn, query)
    order = w.c.seq if oldest_first else w.c.seq.desc()
    rows = await conn.execute(query.order_by(order).limit(page_size).offset((page_number - 1) * page_size))
    return Page([_record(row) for row in rows], page_number, page_size, total)


@dataclass(frozen=True, slots=True)
class Selected:
    """One Webhook chosen for a bulk action, with what settling it needs."""

    seq: int
    id: str
    registration_id: str
    group_key: str
    should_group: bool
    continue_after_fail: bool


def _selection(where: WebhookFilter, states: Iterable[WebhookState], *, live_only: bool) -> Select[Any]:
    query = _filtered(
        select(
            w.c.seq, w.c.id, w.c.registration_id, w.c.group_key,
            r.c.should_group, r.c.should_group_continue_after_fail,
        )
        .join(d, d.c.id == w.c.domain_event_id)
        .join(r, r.c.id == w.c.registration_id),
        where,
    ).where(w.c.state.in_(sorted(s.value for s in states)))  # fmt: skip
    if live_only:
        query = query.where(r.c.is_active.is_(True), r.c.deleted_at.is_(None), r.c.paused_at.is_(None))
    return query


async def count_selected(
    conn: AsyncConnection, where: WebhookFilter, states: Iterable[WebhookState], *, live_only: bool
) -> int:
    """How many Webhooks `select_batch` would go through: a bulk action's dry run."""
    return await count_of(conn, _selection(where, states, live_only=live_only))


async def select_batch(
    conn: AsyncConnection,
    where: WebhookFilter,
    states: Iterable[WebhookState],
    *,
    live_only: bool,
    after_seq: int,
    limit: int,
) -> list[Selected]:
    """The next `limit` Webhooks matching `where` in `states` (of active, unpaused registrations
    only, if `live_only`), oldest first after `after_seq`; locked on PostgreSQL until the transaction
    ends, in the one order (ascending seq) every multi-row lock of Webhooks takes."""
    query = (
        _selection(where, states, live_only=live_only)
        .where(w.c.seq > after_seq)
        .order_by(w.c.seq)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=w)
    return [Selected(*row) for row in await conn.execute(query)]


async def settle_many(conn: AsyncConnection, ids: list[str], target: WebhookState, now: datetime) -> int:
    """Move the Webhooks `ids` (locked by `select_batch`) into `target`; answers how many moved."""
    result = await conn.execute(
        update(w)
        .where(w.c.id.in_(ids), w.c.state.in_([s.value for s in sources_of(target)]))
        .values(state=target.value, next_attempt_at=None, updated_at=now)
    )
    return int(result.rowcount)


async def count_by_state(conn: AsyncConnection, organization_id: str | None) -> dict[WebhookState, int]:
    """How many Webhooks are in each state (ix_webhooks_org_state); states with none are absent."""
    query = select(w.c.state, func.count()).group_by(w.c.state)
    if organization_id is not None:
        query = query.where(w.c.organization_id == organization_id)
    return {WebhookState(state): int(count) for state, count in await conn.execute(query)}


async def backlog_of(conn: AsyncConnection, registration_id: str) -> dict[WebhookState, int]:
    """How many of the registration's Webhooks are Created, Retrying or Pending
    (ix_webhooks_unfinished); states with none are absent."""
    query = (
        select(w.c.state, func.count())
        .where(w.c.registration_id == registration_id, _UNFINISHED)
        .group_by(w.c.state)
    )
    return {WebhookState(state): int(count) for state, count in await conn.execute(query)}


def group_lock(registration_id: str, group_key: str) -> str:
    """The lock that serializes publishing into and releasing from one group."""
    return f"{registration_id}\0{group_key}"


def supersession_lock(registration_id: str, supersession_key: str) -> str:
    """The lock that serializes publishers of one entity to a coalescing registration."""
    return f"{registration_id}\1{supersession_key}"


def pause_lock(registration_id: str) -> str:
    """The lock a resume takes first and a publisher to a paused registration takes too, so a
    Webhook written Pending (held) during a resume is seen and released by it."""
    return f"{registration_id}\2pause"


async def take_locks(conn: AsyncConnection, names: Iterable[str]) -> None:
    """Transaction-scoped advisory locks (PostgreSQL; SQLite has one writer).

    Locks are taken in ascending id: every transaction that takes several takes them in this one
    order, so concurrent publishers and workers cannot deadlock on them. Taking a lock again in
    the same transaction returns at once.
    """
    if conn.dialect.name == "postgresql":
        for lock_id in sorted({zlib.crc32(name.encode()) for name in names}):
            await conn.execute(select(func.pg_advisory_xact_lock(lock_id)))


async def lock_groups(conn: AsyncConnection, groups: Iterable[tuple[str, str]]) -> None:
    await take_locks(conn, (group_lock(*group) for group in groups))


async def lock_group(conn: AsyncConnection, registration_id: str, group_key: str) -> None:
    await lock_groups(conn, [(registration_id, group_key)])


SUPERSEDABLE = frozenset({S.CREATED, S.RETRYING, S.PENDING})
"""States in which a waiting Webhook may take over a newer event's payload."""


@dataclass(frozen=True, slots=True)
class LatestOfEntity:
    seq: int
    webhook_id: str
    type: WebhookEventType
    state: WebhookState
    leased: bool
    relation: str | None
    """Its event's `relation` as stored JSON, if a relation event."""


async def latest_of_entity(
    conn: AsyncConnection, registration_id: str, supersession_key: str
) -> LatestOfEntity | None:
    """The newest Webhook of one entity for one registration (ix_webhooks_supersession).

    The caller holds the entity's `supersession_lock` (publishers of one entity take turns); on
    PostgreSQL the row stays locked until commit, so no worker claims it before it is repointed.
    """
    query = (
        select(w.c.seq, w.c.id, d.c.type, w.c.state, w.c.lease_token, d.c.relation)
        .join(d, d.c.id == w.c.domain_event_id)
        .where(w.c.registration_id == registration_id, w.c.supersession_key == supersession_key)
        .order_by(w.c.seq.desc())
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=w)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return LatestOfEntity(
        row.seq,
        row.id,
        WebhookEventType(row.type),
        WebhookState(row.state),
        row.lease_token is not None,
        row.relation,
    )


async def repoint(conn: AsyncConnection, seq: int, event_id: str, delivery_id: str, now: datetime) -> None:
    """Make a waiting Webhook carry a newer event (its payload) instead of the one it had, under
    a new `webhook-id` (`delivery_id`): a receiver that saw the old payload, even if its 2xx was
    lost, must not drop the new one as a duplicate."""
    await conn.execute(
        update(w)
        .where(w.c.seq == seq)
        .values(domain_event_id=event_id, delivery_id=delivery_id, updated_at=now)
    )


async def group_is_blocked(
    conn: AsyncConnection, registration_id: str, group_key: str, *, continue_after_fail: bool
) -> bool:
    """Whether a new Webhook of this group must wait in Pending behind an earlier one."""
    states = [s.value for s in blocking_states(continue_after_fail=continue_after_fail)]
    query = select(
        exists().where(
            w.c.registration_id == registration_id, w.c.group_key == group_key, w.c.state.in_(states)
        )
    )
    return bool((await conn.execute(query)).scalar())


async def release_group(
    conn: AsyncConnection, registration_id: str, group_key: str, *, continue_after_fail: bool, now: datetime
) -> str | None:
    """Make the oldest Pending Webhook of the group due if nothing earlier blocks it any more."""
    await lock_group(conn, registration_id, group_key)
    in_group = and_(w.c.registration_id == registration_id, w.c.group_key == group_key)
    oldest_pending = (
        await conn.execute(
            select(w.c.seq, w.c.id).where(in_group, w.c.state == S.PENDING.value).order_by(w.c.seq).limit(1)
        )
    ).first()
    if oldest_pending is None:
        return None
    states = [s.value for s in blocking_states(continue_after_fail=continue_after_fail)]
    blocked = (
        await conn.execute(
            select(exists().where(in_group, w.c.seq < oldest_pending.seq, w.c.state.in_(states)))
        )
    ).scalar()
    if blocked:
        return None
    await conn.execute(
        update(w)
        .where(w.c.seq == oldest_pending.seq, w.c.state == S.PENDING.value)
        .values(state=S.CREATED.value, next_attempt_at=now, updated_at=now)
    )
    return str(oldest_pending.id)


async def release_all_pending(conn: AsyncConnection, registration_id: str, now: datetime) -> int:
    """Make every Pending Webhook of the registration due (its grouping was switched off)."""
    result = await conn.execute(
        update(w)
        .where(w.c.registration_id == registration_id, w.c.state == S.PENDING.value)
        .values(state=S.CREATED.value, next_attempt_at=now, updated_at=now)
    )
    return int(result.rowcount)


async def hold_due(conn: AsyncConnection, registration_id: str, now: datetime) -> int:
    """A pause: the registration's due Webhooks no worker holds wait in Pending. Those in flight
    are held when their attempt is recorded or when they are claimed again (`hold_claimed`)."""
    unleased = (w.c.lease_expires_at.is_(None)) | (w.c.lease_expires_at <= now)
    result = await conn.execute(
        update(w)
        .where(w.c.registration_id == registration_id, _DUE, unleased)
        .values(state=S.PENDING.value, next_attempt_at=None, updated_at=now)
    )
    return int(result.rowcount)


async def hold_claimed(conn: AsyncConnection, leases: dict[str, str], now: datetime) -> None:
    """Claimed Webhooks whose registration turned out paused: back to Pending, unsent."""
    if leases:
        await conn.execute(
            update(w)
            .where(w.c.id == bindparam("b_id"), w.c.lease_token == bindparam("b_token"))
            .values(
                state=S.PENDING.value,
                next_attempt_at=None,
                updated_at=now,
                lease_expires_at=None,
                lease_token=None,
            ),
            [{"b_id": webhook_id, "b_token": token} for webhook_id, token in leases.items()],
        )


async def releasable_held(
    conn: AsyncConnection, registration_id: str, *, grouped: bool, continue_after_fail: bool
) -> list[tuple[int, int]]:
    """(seq, attempt count) of the Pending Webhooks a resume makes due, oldest first: all of them,
    or for a grouped registration the oldest of each group that nothing earlier blocks (the rest
    follow in order as their group's earlier ones end). Uses ix_webhooks_group."""
    query = select(w.c.seq, w.c.attempt_count).where(
        w.c.registration_id == registration_id, w.c.state == S.PENDING.value
    )
    if grouped:
        earlier = w.alias("earlier")
        states = [s.value for s in blocking_states(continue_after_fail=continue_after_fail)]
        query = query.where(
            ~exists().where(
                earlier.c.registration_id == w.c.registration_id,
                earlier.c.group_key == w.c.group_key,
                earlier.c.seq < w.c.seq,
                earlier.c.state.in_(states),
            )
        )
    return [(row.seq, row.attempt_count) for row in await conn.execute(query.order_by(w.c.seq))]


async def release_held(conn: AsyncConnection, due: list[tuple[int, int, datetime]], now: datetime) -> None:
    """Make each (seq, attempt count, due at) Pending Webhook due at its time: Created if never
    attempted, else Retrying."""
    if due:
        await conn.execute(
            update(w)
            .where(w.c.seq == bindparam("b_seq"), w.c.state == S.PENDING.value)
            .values(state=bindparam("b_state"), next_attempt_at=bindparam("b_due"), updated_at=now),
            [
                {
                    "b_seq": seq,
                    "b_state": (S.RETRYING if attempts else S.CREATED).value,
                    "b_due": due_at,
                }
                for seq, attempts, due_at in due
            ],
        )


async def pending_group_keys(conn: AsyncConnection, registration_id: str) -> list[str]:
    query = (
        select(w.c.group_key)
        .where(w.c.registration_id == registration_id, w.c.state == S.PENDING.value)
        .distinct()
    )
    return list((await conn.execute(query)).scalars())


async def change_state(
    conn: AsyncConnection,
    webhook_id: str,
    *,
    sources: Iterable[WebhookState],
    target: WebhookState,
    now: datetime,
    next_attempt_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Move one Webhook into `target` if it is still in one of `sources`; True if it moved."""
    result = await conn.execute(
        update(w)
        .where(w.c.id == webhook_id, w.c.state.in_([s.value for s in sources]))
        .values(state=target.value, next_attempt_at=next_attempt_at, updated_at=now, **(extra or {}))
    )
    return bool(result.rowcount)


async def abort_unfinished(conn: AsyncConnection, registration_id: str, now: datetime) -> int:
    """Abort every Webhook of the registration that still expects an attempt."""
    result = await conn.execute(
        update(w)
        .where(w.c.registration_id == registration_id, w.c.state.in_([s.value for s in UNFINISHED]))
        .values(state=S.ABORTED.value, next_attempt_at=None, updated_at=now)
    )
    return int(result.rowcount)


async def grant_attempts(conn: AsyncConnection, due: Mapping[str, datetime], now: datetime) -> None:
    """Make each Webhook of `due` (id → when) due at its time as Retrying, with room for one
    more attempt (one executemany)."""
    if due:
        await conn.execute(
            update(w)
            .where(w.c.id == bindparam("b_id"))
            .values(
                state=S.RETRYING.value,
                next_attempt_at=bindparam("b_due"),
                updated_at=now,
                attempt_limit=case(
                    (w.c.attempt_limit > w.c.attempt_count, w.c.attempt_limit), else_=w.c.attempt_count + 1
                ),
            ),
            [{"b_id": webhook_id, "b_due": at} for webhook_id, at in due.items()],
        )


FIRST_ATTEMPT_SHARE = 0.5
"""The part of each claim kept for first attempts (attempt_count = 0), so a backlog of retries
that fell due earlier cannot hold back new Webhooks; the rest goes strictly by due time."""


@dataclass(frozen=True, slots=True)
class ClaimLimits:
    """How much one claim may take: in all, and per registration.

    `per_registration` caps each registration; `allowance` overrides it for registrations the
    worker already has in flight (how many more each may take, 0 or less: none).
    """

    total: int
    per_registration: int
    allowance: Mapping[str, int] = field(default_factory=dict)

    @property
    def full(self) -> list[str]:
        return sorted(registration for registration, more in self.allowance.items() if more <= 0)

    @property
    def partial(self) -> dict[str, int]:
        """Allowances that can bind: below both the default cap and the claim's size."""
        binding = min(self.per_registration, self.total)
        return {r: more for r, more in sorted(self.allowance.items()) if 0 < more < binding}

    @property
    def first_attempts(self) -> int:
        return math.ceil(self.total * FIRST_ATTEMPT_SHARE)

    def parameters(self) -> dict[str, Any]:
        """The bind parameters of `_claim_statement` for these limits."""
        partial = self.partial
        return {
            "total": self.total,
            "first_attempts": self.first_attempts,
            "per_registration": self.per_registration,
            "full": self.full,
            **{f"registration_{i}": registration for i, registration in enumerate(partial)},
            **{f"allowance_{i}": more for i, more in enumerate(partial.values())},
        }


def _due_rows(dialect: str, *, first_only: bool) -> Subquery:
    """The oldest due, unleased Webhooks of registrations with room, locked on PostgreSQL.

    An index scan of ix_webhooks_due in due order, cut at the claim's size. The lock is taken
    here, below the window functions that rank these rows, because PostgreSQL refuses
    FOR UPDATE in a query with window functions.
    """
    rows = (
        select(w.c.seq, w.c.registration_id, w.c.next_attempt_at, w.c.attempt_count)
        .where(_DUE, w.c.next_attempt_at <= bindparam("now"))
        .where((w.c.lease_expires_at.is_(None)) | (w.c.lease_expires_at <= bindparam("now")))
        .where(w.c.registration_id.not_in(bindparam("full", expanding=True)))
        .order_by(w.c.next_attempt_at)
        .limit(bindparam("first_attempts" if first_only else "total", type_=Integer))
    )
    if first_only:
        rows = rows.where(w.c.attempt_count == 0)
    if dialect == "postgresql":
        rows = rows.with_for_update(skip_locked=True)
    return rows.subquery("first_attempts" if first_only else "oldest")


@functools.lru_cache(maxsize=64)
def _claim_statement(dialect: str, partial: int) -> Update:
    """The claim, built once per dialect and number of partial allowances (`partial`): building
    it anew took longer in Python than running it took in the database.

    It leases what it chose: from the oldest due rows plus the oldest due first attempts, at
    most each registration's allowance (oldest first), first attempts up to their share, then
    by due time.
    """
    oldest = _due_rows(dialect, first_only=False)
    firsts = _due_rows(dialect, first_only=True)
    pool = union(select(*oldest.c), select(*firsts.c)).subquery("pool")
    allowed: ColumnElement[int] = bindparam("per_registration", type_=Integer)
    if partial:
        allowed = case(
            *[
                (
                    pool.c.registration_id == bindparam(f"registration_{i}"),
                    bindparam(f"allowance_{i}", type_=Integer),
                )
                for i in range(partial)
            ],
            else_=allowed,
        )
    retry = case((pool.c.attempt_count == 0, 0), else_=1)
    ranked = select(
        pool.c.seq,
        pool.c.next_attempt_at,
        retry.label("retry"),
        allowed.label("allowed"),
        func.row_number()
        .over(partition_by=pool.c.registration_id, order_by=(pool.c.next_attempt_at, pool.c.seq))
        .label("in_registration"),
    ).subquery("ranked")
    eligible = (
        select(
            ranked.c.seq,
            ranked.c.next_attempt_at,
            ranked.c.retry,
            func.row_number()
            .over(partition_by=ranked.c.retry, order_by=(ranked.c.next_attempt_at, ranked.c.seq))
            .label("in_kind"),
        )
        .where(ranked.c.in_registration <= ranked.c.allowed)
        .subquery("eligible")
    )
    first_share = and_(
        eligible.c.retry == 0, eligible.c.in_kind <= bindparam("first_attempts", type_=Integer)
    )
    chosen = (
        select(eligible.c.seq)
        .order_by(case((first_share, 0), else_=1), eligible.c.next_attempt_at, eligible.c.seq)
        .limit(bindparam("total", type_=Integer))
    )
    return (
        update(w)
        .where(w.c.seq.in_(chosen.scalar_subquery()))
        .values(lease_expires_at=bindparam("lease_until"), lease_token=bindparam("lease_token"))
        .returning(w.c.seq)
    )


@dataclass(frozen=True, slots=True)
class Claim:
    """What one claim leased, and what it learned of the throttled registrations' buckets."""

    webhooks: list[ClaimedWebhook]
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    """The bucket, after this claim's debit, of each throttled registration it leased rows of."""
    released: int = 0
    """Rows chosen beyond their registration's tokens, left due (their leases cleared)."""


async def claim_due(
    conn: AsyncConnection,
    *,
    now: datetime,
    limits: ClaimLimits,
    lease_until: datetime,
    lease_token: str,
    clock: Callable[[], datetime] | None = None,
) -> Claim:
    """Lease up to `limits.total` due Webhooks, fairly, and read what sending them needs.

    A Webhook is due when it is Created or Retrying, its `next_attempt_at` has passed, and no
    live lease holds it; an expired lease (a crashed worker) makes it claimable again. On
    PostgreSQL, `FOR UPDATE SKIP LOCKED` lets concurrent workers take disjoint batches. Fair:
    no registration gets more than its allowance, and first attempts get their share
    (FIRST_ATTEMPT_SHARE) before older retries. A claim cut short by an allowance returns fewer
    rows than due; the worker claims again once it has room.

    Throttled: a registration with `max_requests_per_second` keeps only as many rows as its
    bucket holds tokens (held rows of a paused registration take none); the rest stay due.
    `clock` tells the instant of that debit (default: `now`).
    """
    statement = _claim_statement(conn.dialect.name, len(limits.partial))
    parameters = limits.parameters() | {"now": now, "lease_until": lease_until, "lease_token": lease_token}
    claimed = (await conn.execute(statement, parameters)).scalars()
    seqs = list(claimed)
    if not seqs:
        return Claim([])
    a = webhook_target_authorizations
    details = await conn.execute(
        select(
            w.c.seq,
            r.c.max_requests_per_second,
            w.c.id,
            func.coalesce(w.c.delivery_id, w.c.id).label("delivery_id"),
            w.c.attempt_count,
            w.c.attempt_limit,
            w.c.organization_id,
            w.c.registration_id,
            w.c.group_key,
            r.c.should_group,
            r.c.should_group_continue_after_fail,
            r.c.paused_at,
            r.c.retry_schedule,
            r.c.target_url,
            r.c.signing_secret,
            r.c.retired_signing_secrets,
            *AUTHORIZATION_COLUMNS,
            a.c.encrypted_password,
            r.c.encrypted_custom_headers,
            r.c.encrypted_client_certificate,
            d.c.id.label("event_id"),
            d.c.entity_name,
            d.c.type,
            d.c.entity_id,
            d.c.occurred_at,
            d.c.payload,
            d.c.relation,
            d.c.traceparent,
        )
        .join(r, r.c.id == w.c.registration_id)
        .join(d, d.c.id == w.c.domain_event_id)
        .outerjoin(a, a.c.registration_id == w.c.registration_id)
        .where(w.c.seq.in_(seqs))
        .order_by(w.c.seq)
    )
    rows, buckets, released = await _throttled(conn, list(details), clock or (lambda: now))
    webhooks = [
        ClaimedWebhook(
            id=row.id,
            delivery_id=row.delivery_id,
            lease_token=lease_token,
            attempt_number=row.attempt_count + 1,
            attempt_limit=row.attempt_limit,
            organization_id=row.organization_id,
            registration_id=row.registration_id,
            group_key=row.group_key,
            should_group=row.should_group,
            continue_after_fail=row.should_group_continue_after_fail,
            paused=row.paused_at is not None,
            retry_schedule=row.retry_schedule,
            target_url=row.target_url,
            signing_secret=row.signing_secret,
            retired_signing_secrets=row.retired_signing_secrets,
            authorization_type=AuthorizationType(row.authorization_type or 0),
            username=row.username,
            encrypted_secret=row.encrypted_password,
            encrypted_headers=row.encrypted_custom_headers,
            event_id=row.event_id,
            entity_name=row.entity_name,
            type=WebhookEventType(row.type),
            entity_id=row.entity_id,
            occurred_at=row.occurred_at,
            payload=row.payload,
            relation=row.relation,
            traceparent=row.traceparent,
            oauth2=oauth2_of(row),
            encrypted_client_certificate=row.encrypted_client_certificate,
        )
        for row in rows
    ]
    return Claim(webhooks, buckets, released)


async def _throttled(
    conn: AsyncConnection, rows: list[Any], clock: Callable[[], datetime]
) -> tuple[list[Any], dict[str, TokenBucket], int]:
    """The claimed rows their registrations' buckets allow (oldest first), those buckets, and
    how many rows were released for want of tokens."""
    wanted: dict[str, list[int]] = {}
    rates: dict[str, int] = {}
    for row in rows:
        if row.max_requests_per_second is not None and row.paused_at is None:
            wanted.setdefault(row.registration_id, []).append(row.seq)
            rates[row.registration_id] = row.max_requests_per_second
    if not wanted:
        return rows, {}, 0
    debits = await throttles.debit(
        conn, {registration: (rates[registration], len(seqs)) for registration, seqs in wanted.items()}, clock
    )
    excess = {seq for registration, seqs in wanted.items() for seq in seqs[debits[registration].taken :]}
    if excess:
        await conn.execute(
            update(w).where(w.c.seq.in_(sorted(excess))).values(lease_expires_at=None, lease_token=None)
        )
    buckets = {registration: done.bucket for registration, done in debits.items()}
    return [row for row in rows if row.seq not in excess], buckets, len(excess)


async def next_due_at(conn: AsyncConnection) -> datetime | None:
    """When the earliest waiting Webhook becomes due (ix_webhooks_due); None if none waits."""
    due: datetime | None = (await conn.execute(select(func.min(w.c.next_attempt_at)).where(_DUE))).scalar()
    return due


_HELD = select(w.c.id, w.c.state, w.c.lease_token).where(w.c.id.in_(bindparam("ids", expanding=True)))
_HELD_LOCKED = _HELD.order_by(w.c.seq).with_for_update()
"""Ascending seq, the order bulk actions lock in too, so the two cannot deadlock (PostgreSQL)."""


async def held_states(conn: AsyncConnection, leases: dict[str, str]) -> dict[str, WebhookState]:
    """The current state of each Webhook whose lease `leases` (id → token) still holds."""
    query = _HELD_LOCKED if conn.dialect.name == "postgresql" else _HELD
    rows = await conn.execute(query, {"ids": list(leases)})
    return {id_: _STATES[state] for id_, state, token in rows if leases.get(id_) == token}


_STATES = {state.value: state for state in WebhookState}


async def hand_back(conn: AsyncConnection, leases: dict[str, str]) -> None:
    """Clear the leases `leases` (id → token) still holds, so another worker may claim those
    Webhooks at once: a stopping worker's unfinished claims."""
    if leases:
        await conn.execute(
            update(w)
            .where(w.c.id == bindparam("b_id"), w.c.lease_token == bindparam("b_token"))
            .values(lease_expires_at=None, lease_token=None),
            [{"b_id": webhook_id, "b_token": token} for webhook_id, token in leases.items()],
        )


async def store_results(conn: AsyncConnection, results: list[dict[str, Any]]) -> None:
    """Write each attempted Webhook's new state and release its lease (one executemany).

    Each dict holds `b_id`, `state`, `attempt_count`, `next_attempt_at` and `updated_at`.
    """
    if results:
        await conn.execute(_STORE_RESULT, results)


_STORE_RESULT = (
    update(w)
    .where(w.c.id == bindparam("b_id"))
    .values(
        state=bindparam("state"),
        attempt_count=bindparam("attempt_count"),
        next_attempt_at=bindparam("next_attempt_at"),
        updated_at=bindparam("updated_at"),
        lease_expires_at=None,
        lease_token=None,
    )
)


async def purge_ended(conn: AsyncConnection, before: datetime, limit: int) -> int:
    """Delete up to `limit` Webhooks that ended before `before`, with their attempts.

    Small batches keep each transaction short. On PostgreSQL the chosen rows are locked and
    rows another purge holds are skipped, so concurrent maintenance jobs split the work, and a
    retry of the same Webhook waits for the purge instead of writing to a deleted row.
    """
    query = select(w.c.id).where(_ENDED, w.c.updated_at < before).order_by(w.c.updated_at).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list((await conn.execute(query)).scalars())
    if ids:
        await conn.execute(delete(webhook_attempts).where(webhook_attempts.c.webhook_id.in_(ids)))
        await conn.execute(delete(w).where(w.c.id.in_(ids)))
    return len(ids)


BACKLOG_STATES = (S.CREATED, S.RETRYING, S.PENDING)
# ix_webhooks_unfinished's own predicate, literally: SQLite's planner matches partial indexes by text.
_UNFINISHED = text(f"webhooks.{UNFINISHED_STATES}")


@dataclass(frozen=True, slots=True)
class Backlog:
    """Unfinished Webhooks across every organization, as the metrics gauges show them."""

    counts: dict[WebhookState, int]
    """How many Webhooks wait in each of BACKLOG_STATES (leased ones included)."""
    oldest_due_at: datetime | None
    """When the longest-waiting due, unleased Webhook became due; None if none is due."""


async def backlog(conn: AsyncConnection, now: datetime) -> Backlog:
    """One count per waiting state (ix_webhooks_unfinished: the cost grows with the backlog, not
    with the table), and the oldest due Webhook no worker holds (ix_webhooks_due in due order,
    walking past at most the rows in flight)."""
    counted = await conn.execute(select(w.c.state, func.count()).where(_UNFINISHED).group_by(w.c.state))
    counts = dict.fromkeys(BACKLOG_STATES, 0) | {WebhookState(s): int(n) for s, n in counted}
    oldest = (
        select(w.c.next_attempt_at)
        .where(_DUE, w.c.next_attempt_at <= now)
        .where(w.c.lease_expires_at.is_(None) | (w.c.lease_expires_at <= now))
        .order_by(w.c.next_attempt_at)
        .limit(1)
    )
    oldest_due_at: datetime | None = (await conn.execute(oldest)).scalar()
    return Backlog(counts, oldest_due_at)
