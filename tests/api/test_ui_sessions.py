"""UI sessions held on the server: closing one ends it at once and for good, in every process;
a session past its lifetime is closed too, and maintenance purges it."""

from __future__ import annotations

from datetime import timedelta

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.enums import Role
from hookline.runtime import Runtime
from hookline.service import Principal
from tests.conftest import another_api_process


async def test_a_closed_session_is_refused_everywhere(
    runtime: Runtime, settings: Settings, clock: FrozenClock
) -> None:
    service = runtime.hookline
    principal = Principal(Role.SUBSCRIBER, "acme", "key_1", "ops")
    session_id = await service.open_ui_session(principal, timedelta(hours=12))
    other = await service.open_ui_session(principal, timedelta(hours=12))
    assert session_id != other and len(session_id) >= 40
    async with another_api_process(settings, clock) as (elsewhere, _):
        assert await elsewhere.hookline.ui_session_is_open(session_id)
        await service.close_ui_session(session_id)
        assert not await elsewhere.hookline.ui_session_is_open(session_id)
    assert not await service.ui_session_is_open(session_id)
    assert await service.ui_session_is_open(other)  # only the one signed out
    assert not await service.ui_session_is_open("made-up")
    await service.close_ui_session(session_id)  # twice is fine


async def test_a_session_ends_with_its_lifetime_and_is_purged(runtime: Runtime, clock: FrozenClock) -> None:
    service = runtime.hookline
    session_id = await service.open_ui_session(Principal(Role.ADMIN, None), timedelta(hours=12))
    clock.advance(timedelta(hours=12) - timedelta(seconds=1))
    assert await service.ui_session_is_open(session_id)
    clock.advance(timedelta(seconds=1))
    assert not await service.ui_session_is_open(session_id)
    report = await runtime.maintenance.run_once()
    assert report.purged_sessions == 1
    assert (await runtime.maintenance.run_once()).purged_sessions == 0


async def test_only_a_hash_of_the_session_id_is_stored(runtime: Runtime, settings: Settings) -> None:
    session_id = await runtime.hookline.open_ui_session(Principal(Role.ADMIN, None), timedelta(hours=1))
    async with runtime.db.read() as conn:
        stored = (await conn.exec_driver_sql("SELECT id_hash FROM ui_sessions")).scalar_one()
    assert session_id not in stored and len(stored) == 64
