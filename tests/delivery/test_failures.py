"""How each kind of failure is recorded and what it does to the Webhook and its registration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import update

from hookline.clock import FrozenClock
from hookline.crypto import SecretBox
from hookline.runtime import Runtime
from hookline.store.tables import webhook_registrations
from tests.conftest import Reply
from tests.delivery.conftest import Client, LiveReceiver, StackFactory, StreamedReply, instant

CREATED, RETRYING, SUCCESSFUL, FAILED, ABORTED, PENDING = 1, 2, 3, 4, 5, 6


async def only_attempt(client: Client, webhook_id: str) -> dict[str, object]:
    [attempt] = await client.attempts(webhook_id)
    return attempt


async def test_410_gone_deactivates_the_registration_and_aborts_its_other_webhooks(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    gone = await client.register(receiver.url("/gone"), shouldGroup=True)
    other = await client.register(receiver.url("/other"))
    receiver.reply_at("/gone", Reply(status=500))
    first = await client.publish_to("1")
    assert await runtime.worker.deliver_due() == 2
    second = await client.publish_to("1")
    clock.advance(timedelta(minutes=1))
    receiver.reply_at("/gone", Reply(status=410, body="gone for good"))
    third = await client.publish_to("2")
    retrying, pending, answered_gone = first[gone["id"]], second[gone["id"]], third[gone["id"]]
    other_webhooks = [first[other["id"]], second[other["id"]], third[other["id"]]]
    assert await client.states(retrying, pending, answered_gone) == [RETRYING, PENDING, CREATED]

    assert await runtime.worker.deliver_due() == 3  # answered_gone and two of /other

    registration = await client.registration(gone["id"])
    assert registration["isActive"] is False
    assert registration["disabledReason"] == "target answered 410 Gone"
    assert await client.states(answered_gone, retrying, pending) == [FAILED, ABORTED, ABORTED]
    webhook = await client.webhook(answered_gone)
    assert (webhook["attemptCount"], webhook["nextAttemptAt"]) == (1, None)
    attempt = await only_attempt(client, answered_gone)
    assert (attempt["responseStatus"], attempt["responseBody"], attempt["succeeded"]) == (
        410,
        "gone for good",
        False,
    )
    assert (await client.registration(other["id"]))["isActive"] is True
    assert await client.states(*other_webhooks) == [SUCCESSFUL] * 3

    clock.advance(timedelta(days=3))
    assert await runtime.worker.deliver_due() == 0
    assert [r.path for r in receiver.requests].count("/gone") == 2
    assert len(await client.publish("3")) == 1  # only the active registration still subscribes


async def test_timeout_is_recorded_and_retried(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    stack = await make_stack(clock, delivery_timeout=timedelta(milliseconds=200))
    client = stack.client
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.hold()  # the receiver answers only after the test ends

    assert await stack.runtime.worker.deliver_due() == 1

    attempt = await only_attempt(client, webhook_id)
    assert (attempt["error"], attempt["responseStatus"], attempt["succeeded"]) == ("timeout", None, False)
    assert 200 <= int(str(attempt["durationMs"])) < 5000
    webhook = await client.webhook(webhook_id)
    assert webhook["state"] == RETRYING
    assert instant(webhook["nextAttemptAt"]) == clock.now() + timedelta(minutes=5)


async def test_connection_refused_is_recorded_and_retried(
    client: Client, runtime: Runtime, closed_port: int, clock: FrozenClock
) -> None:
    await client.register(f"http://127.0.0.1:{closed_port}/hook")
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    attempt = await only_attempt(client, webhook_id)
    assert (attempt["error"], attempt["responseStatus"], attempt["succeeded"]) == (
        "connection refused",
        None,
        False,
    )
    assert (await client.webhook(webhook_id))["state"] == RETRYING


@pytest.mark.parametrize("status", [302, 307])
async def test_redirects_are_not_followed_and_count_as_failure(
    client: Client, runtime: Runtime, receiver: LiveReceiver, status: int
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.reply(Reply(status=status, body="", headers={"Location": receiver.url("/elsewhere")}))

    assert await runtime.worker.deliver_due() == 1

    assert [r.path for r in receiver.requests] == ["/hook"]
    attempt = await only_attempt(client, webhook_id)
    assert (attempt["responseStatus"], attempt["succeeded"]) == (status, False)
    assert attempt["error"] == f"redirect not followed (Location: {receiver.url('/elsewhere')})"
    assert (await client.webhook(webhook_id))["state"] == RETRYING


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(body="x" * 10_000), id="one-write"),
        pytest.param(StreamedReply(chunks=(b"x" * 100, b"x" * 9_900)), id="streamed"),
    ],
)
async def test_response_body_is_cut_to_4_kib(
    client: Client, runtime: Runtime, receiver: LiveReceiver, reply: Reply
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.reply(reply)

    assert await runtime.worker.deliver_due() == 1

    attempt = await only_attempt(client, webhook_id)
    assert attempt["responseBody"] == "x" * 4096
    assert attempt["succeeded"] is True


async def test_a_multibyte_character_split_by_the_cut_is_dropped(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.reply(Reply(body="a" + "€" * 2000))  # 1 + 3 * 2000 bytes; the cut falls inside a €

    assert await runtime.worker.deliver_due() == 1

    body = str((await only_attempt(client, webhook_id))["responseBody"])
    assert body == "a" + "€" * 1365
    assert len(body.encode()) <= 4096


async def test_a_binary_response_body_is_recorded(
    client: Client, runtime: Runtime, receiver: LiveReceiver
) -> None:
    """PostgreSQL text refuses NUL; a receiver answering bytes must not make recording fail."""
    await client.register(receiver.url())
    webhook_id = await client.publish_one()
    receiver.reply(StreamedReply(status=500, chunks=(b"\x00\x01\xff\xfe binary",)))

    assert await runtime.worker.deliver_due() == 1

    attempt = await only_attempt(client, webhook_id)
    assert attempt["responseStatus"] == 500
    assert attempt["responseBody"] == "\ufffd\x01\ufffd\ufffd binary"
    assert (await client.webhook(webhook_id))["state"] == RETRYING


@asynccontextmanager
async def raw_target(answer: bytes) -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that reads the request head, writes `answer` and hangs up."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
async def garbage_server() -> AsyncIterator[str]:
    async with raw_target(b"this is not HTTP at all\r\n\r\n") as url:
        yield url


async def test_a_target_hanging_up_without_an_answer_is_recorded(client: Client, runtime: Runtime) -> None:
    async with raw_target(b"") as url:
        await client.register(f"{url}/hook")
        webhook_id = await client.publish_one()

        assert await runtime.worker.deliver_due() == 1

    attempt = await only_attempt(client, webhook_id)
    assert (attempt["error"], attempt["responseStatus"]) == ("connection closed before a response", None)
    assert (await client.webhook(webhook_id))["state"] == RETRYING


async def test_a_long_error_is_cut_to_fit_its_column(
    client: Client, runtime: Runtime, garbage_server: str
) -> None:
    """aiohttp names the whole URL in some errors; a 2 KB target URL must still be recorded."""
    await client.register(f"{garbage_server}/hook?{'q=1&' * 450}")
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1

    attempt = await only_attempt(client, webhook_id)
    error = str(attempt["error"])
    assert error.startswith("bad response:")
    assert len(error) <= 500
    assert (await client.webhook(webhook_id))["state"] == RETRYING


# Loopback spellings only: were the guard to fail, the request would still stay on this machine.
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "[::ffff:127.0.0.1]", "127.0.0.2"])
async def test_a_target_outside_the_allowed_networks_fails_at_once(
    make_stack: StackFactory, client: Client, receiver: LiveReceiver, clock: FrozenClock, host: str
) -> None:
    """Registered while loopback was allowed; delivered by a process that no longer allows it."""
    url = receiver.url().replace("127.0.0.1", host)
    registration = await client.register(url)
    webhook_id = await client.publish_one()
    strict = await make_stack(clock, allowed_target_networks=())

    assert await strict.runtime.worker.deliver_due() == 1

    assert receiver.requests == []
    attempt = await only_attempt(client, webhook_id)
    assert str(attempt["error"]).startswith("blocked target")
    assert (attempt["responseStatus"], attempt["succeeded"]) == (None, False)
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], webhook["attemptCount"], webhook["nextAttemptAt"]) == (FAILED, 1, None)
    clock.advance(timedelta(days=2))
    assert await strict.runtime.worker.deliver_due() == 0
    assert (await client.registration(registration["id"]))["isActive"] is True


async def test_a_2xx_whose_body_stalls_past_the_timeout_still_succeeds(
    make_stack: StackFactory, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    """The status line decides the attempt; the excerpt keeps what arrived in time."""
    stack = await make_stack(clock, delivery_timeout=timedelta(milliseconds=200))
    await stack.client.register(receiver.url())
    webhook_id = await stack.client.publish_one()
    receiver.reply(StreamedReply(status=200, chunks=(b"accepted", b" and more"), pause_s=1.0))

    assert await stack.runtime.worker.deliver_due() == 1

    attempt = await only_attempt(stack.client, webhook_id)
    assert (attempt["responseStatus"], attempt["responseBody"], attempt["error"]) == (200, "accepted", None)
    assert attempt["succeeded"] is True
    assert (await stack.client.webhook(webhook_id))["state"] == SUCCESSFUL


async def test_a_webhook_that_cannot_be_signed_is_a_failed_attempt_naming_why_not_a_loop(
    client: Client, runtime: Runtime, receiver: LiveReceiver, clock: FrozenClock
) -> None:
    registration = await client.register(receiver.url())
    async with runtime.db.write() as conn:  # a secret sealed with some other key
        await conn.execute(
            update(webhook_registrations)
            .where(webhook_registrations.c.id == registration["id"])
            .values(signing_secret=SecretBox("another key").encrypt("whsec_AAAA"))
        )
    webhook_id = await client.publish_one()

    assert await runtime.worker.deliver_due() == 1
    assert await runtime.worker.deliver_due() == 0  # recorded, not claimed again and again

    [attempt] = await client.attempts(webhook_id)
    assert attempt["error"].startswith("cannot sign: ")
    assert "HOOKLINE_SECRET_KEY" in attempt["error"]
    assert (attempt["responseStatus"], attempt["succeeded"]) == (None, False)
    webhook = await client.webhook(webhook_id)
    assert (webhook["state"], instant(webhook["nextAttemptAt"])) == (
        RETRYING,
        clock.now() + timedelta(minutes=5),
    )
    assert receiver.requests == []
