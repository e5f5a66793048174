"""A long bulk action shows progress: more than one batch runs in the background, its page
follows it in a real Chromium (a `<progress>` and a live status: "100 of 300 aborted…"), and it
ends with a result, or says it was interrupted, never claiming what it did not reach.

The run is held between two batches by a gate (Runtime's `between_batches`), so the page is
seen part-way on purpose, not by luck of timing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Page, expect

from hookline.clock import FrozenClock
from hookline.config import Settings
from hookline.domain.bulk_runs import KEPT_FOR, STALE_AFTER
from hookline.domain.enums import Role, WebhookEventType, WebhookState
from hookline.domain.errors import NotFound
from hookline.domain.records import WebhookFilter
from hookline.domain.states import BulkAction
from hookline.domain.subscriptions import EventChoice
from hookline.runtime import Runtime
from hookline.service import EventDraft, RegistrationDraft
from tests.conftest import eventually
from tests.ui.browser import Looker
from tests.ui.conftest import new_key
from tests.ui.test_browser import sign_in

BATCH = 25
WEBHOOKS = 300
HELD_AFTER = 4  # batches: the page shows 100 of 300


class Gate:
    """Holds a background run after `hold_after` committed batches until `release`."""

    def __init__(self) -> None:
        self.batches = 0
        self.hold_after = HELD_AFTER
        self.held = asyncio.Event()
        self.released = asyncio.Event()

    async def between_batches(self) -> None:
        self.batches += 1
        if self.batches == self.hold_after:
            self.held.set()
            await self.released.wait()

    def rearm(self) -> None:
        self.batches = 0
        self.held.clear()
        self.released.clear()


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
async def runtime(settings: Settings, clock: FrozenClock, gate: Gate) -> AsyncIterator[Runtime]:
    """The usual runtime with small bulk batches and the gate between them."""
    built = Runtime(replace(settings, bulk_batch_size=BATCH), clock, between_batches=gate.between_batches)
    await built.start(run_worker=False)
    try:
        yield built
    finally:
        gate.released.set()
        await built.stop()


async def seed(runtime: Runtime) -> str:
    """A registration with WEBHOOKS Created webhooks (the worker is not running)."""
    registration, _ = await runtime.hookline.register(
        RegistrationDraft(
            "acme", "http://127.0.0.1:9/hook", [EventChoice("Process", WebhookEventType.UPDATED)]
        )
    )
    drafts = [EventDraft("acme", "Process", WebhookEventType.UPDATED, str(n)) for n in range(WEBHOOKS)]
    for start in range(0, WEBHOOKS, 100):
        await runtime.hookline.publish_many(drafts[start : start + 100])
    return registration.id


async def states(runtime: Runtime, registration_id: str) -> dict[WebhookState, int]:
    counted = await runtime.hookline.count_webhooks_by_state("acme")
    assert sum(counted.values()) == WEBHOOKS, counted
    return counted


@pytest.mark.browser
async def test_a_long_abort_and_recovery_show_their_progress_and_their_result(
    page: Page, look: Looker, live_url: str, runtime: Runtime, gate: Gate
) -> None:
    registration_id = await seed(runtime)
    await sign_in(page, look, live_url, await new_key(runtime, "acme", Role.SUBSCRIBER))
    await look(page, "overview-before-bulk")
    await page.goto(f"{live_url}/ui/webhooks?registrationId={registration_id}")
    await look(page, "webhooks-before-bulk")
    await page.get_by_role("button", name="Abort all…").click()
    await expect(page.get_by_role("heading", name="Abort 300 webhooks?")).to_be_visible()
    await look(page, "bulk-abort-confirm")
    await page.get_by_role("button", name="Abort 300 webhooks").click()

    await page.wait_for_url(re.compile(r"/ui/bulk-runs/blk_[\w-]+$"))
    progress = page.locator("progress")
    await expect(page.locator("#run-count")).to_have_text("100 of 300 aborted…")  # the live updates
    await expect(progress).to_have_attribute("value", "100")
    await expect(progress).to_have_attribute("max", "300")
    await expect(page.get_by_text("Done:")).to_have_count(0)
    assert await states(runtime, registration_id) == {WebhookState.ABORTED: 100, WebhookState.CREATED: 200}
    await look(page, "bulk-abort-running")

    gate.released.set()
    await expect(page.get_by_role("status")).to_contain_text("Done: 300 webhooks aborted.")
    await expect(page.locator("#run-count")).to_have_text("300 of 300 aborted")
    await expect(progress).to_have_attribute("value", "300")
    assert await states(runtime, registration_id) == {WebhookState.ABORTED: 300}
    await look(page, "bulk-abort-done")

    gate.rearm()
    await page.get_by_role("link", name="Back to the webhooks").click()
    await look(page, "webhooks-after-bulk")
    await page.goto(f"{live_url}/ui/registrations/{registration_id}")
    await page.get_by_label("Since (UTC)").fill("2026-01-05T00:00")
    await page.get_by_label("Aborted").check()
    await page.get_by_role("button", name="Count matching webhooks").click()
    await look(page, "recovery-confirm")
    await page.get_by_role("button", name="Recover 300 webhooks").click()
    await expect(page.locator("#run-count")).to_have_text("100 of 300 recovered…")
    assert await states(runtime, registration_id) == {WebhookState.RETRYING: 100, WebhookState.ABORTED: 200}
    await look(page, "recovery-running")
    gate.released.set()
    await expect(page.get_by_role("status")).to_contain_text("Done: 300 webhooks recovered")
    assert await states(runtime, registration_id) == {WebhookState.RETRYING: 300}
    await page.get_by_role("link", name="Back to the registration").click()
    await expect(page).to_have_url(f"{live_url}/ui/registrations/{registration_id}")
    await look(page, "registration-after-recovery")


async def test_a_stopped_run_keeps_what_it_did_and_says_it_was_interrupted(
    runtime: Runtime, gate: Gate, clock: FrozenClock
) -> None:
    registration_id = await seed(runtime)
    gate.hold_after = 2
    run = await runtime.hookline.start_bulk(
        BulkAction.ABORT, WebhookFilter(registration_id=registration_id), "acme"
    )
    assert run.total == WEBHOOKS and run.finished_at is None
    await gate.held.wait()

    await runtime.hookline.stop_bulk_runs()  # as the process does when it stops
    stopped = await runtime.hookline.get_bulk_run(run.id, "acme")
    assert (stopped.done, stopped.status(clock.now())) == (2 * BATCH, "interrupted")
    assert await states(runtime, registration_id) == {WebhookState.ABORTED: 50, WebhookState.CREATED: 250}

    again = await runtime.hookline.start_bulk(
        BulkAction.ABORT, WebhookFilter(registration_id=registration_id), "acme"
    )
    assert again.total == WEBHOOKS - 2 * BATCH  # takes what is left


async def test_a_silent_run_is_shown_interrupted_and_only_to_its_organization(
    runtime: Runtime, gate: Gate, clock: FrozenClock, signed_in: httpx.AsyncClient
) -> None:
    registration_id = await seed(runtime)
    run = await runtime.hookline.start_bulk(
        BulkAction.ABORT, WebhookFilter(registration_id=registration_id), "acme"
    )
    await gate.held.wait()
    assert (await runtime.hookline.get_bulk_run(run.id, "acme")).status(clock.now()) == "running"
    clock.advance(STALE_AFTER + timedelta(seconds=1))  # its process crashed: nothing advances it

    shown = await signed_in.get(f"/ui/bulk-runs/{run.id}")
    assert shown.status_code == 200
    assert "Interrupted after 100 of 300: those were aborted, the others were not touched." in shown.text
    assert "Done:" not in shown.text and "data-live-interval-ms" not in shown.text
    with pytest.raises(NotFound):
        await runtime.hookline.get_bulk_run(run.id, "globex")
    assert (await signed_in.get("/ui/bulk-runs/blk_nope")).status_code == 404


async def test_maintenance_deletes_a_run_a_week_after_it_last_advanced(
    runtime: Runtime, gate: Gate, clock: FrozenClock
) -> None:
    registration_id = await seed(runtime)
    gate.hold_after = 0  # never held
    run = await runtime.hookline.start_bulk(
        BulkAction.RESOLVE, WebhookFilter(registration_id=registration_id), "acme"
    )

    async def finished() -> bool:
        return (await runtime.hookline.get_bulk_run(run.id, "acme")).finished_at is not None

    await eventually(finished, "the bulk run to finish")
    clock.advance(KEPT_FOR)
    assert (await runtime.maintenance.run_once()).purged_bulk_runs == 0  # not yet older than a week
    assert (await runtime.hookline.get_bulk_run(run.id, "acme")).status(clock.now()) == "finished"
    clock.advance(timedelta(seconds=1))
    assert (await runtime.maintenance.run_once()).purged_bulk_runs == 1
    with pytest.raises(NotFound):
        await runtime.hookline.get_bulk_run(run.id, "acme")
