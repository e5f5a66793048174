"""A fast webhook receiver for the benchmark, meant to run in its own process.

It answers every POST with 200 at once (under `/slow/`, after SLOW_S: a target that takes
its time) and records when it arrived (`time.time()`) and its `webhook-id`. It prints its port on the first line of stdout, then serves until SIGTERM.
Control endpoints: `GET /_count` (`{"count", "unique"}`), `GET /_records` (`[[arrivedAt, id], ...]`)
and `POST /_reset`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time

from aiohttp import web

SLOW_S = 0.1


class Recorder:
    def __init__(self) -> None:
        self.records: list[tuple[float, str]] = []
        self.ids: set[str] = set()

    async def deliver(self, request: web.Request) -> web.Response:
        await request.read()
        webhook_id = request.headers.get("webhook-id", "")
        self.records.append((time.time(), webhook_id))
        self.ids.add(webhook_id)
        if request.path.startswith("/slow/"):
            await asyncio.sleep(SLOW_S)
        return web.Response(text="ok")

    async def count(self, _: web.Request) -> web.Response:
        return web.json_response({"count": len(self.records), "unique": len(self.ids)})

    async def dump(self, _: web.Request) -> web.Response:
        return web.json_response(self.records)

    async def reset(self, _: web.Request) -> web.Response:
        self.records = []
        self.ids = set()
        return web.json_response({"count": 0, "unique": 0})


async def serve(host: str) -> None:
    recorder = Recorder()
    app = web.Application()
    app.router.add_get("/_count", recorder.count)
    app.router.add_get("/_records", recorder.dump)
    app.router.add_post("/_reset", recorder.reset)
    app.router.add_post("/{tail:.*}", recorder.deliver)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(host))
        return
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(host))


if __name__ == "__main__":
    main()
