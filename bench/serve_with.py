"""hookline's API under another HTTP server, for the servers section of the benchmark.

`python -m bench.serve_with SERVER serve --host H --port P`, SERVER one of SERVERS. The
application (API, UI and in-process worker), its settings (HOOKLINE_*) and its lifespan are
exactly those of `hookline serve`; only the HTTP server differs. Access logs are off for every server, so each
figure is the server's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

import uvicorn
import uvloop

from hookline.api.app import create_app
from hookline.config import Settings
from hookline.runtime import Runtime
from hookline.server import RequestLimits, bounded_protocol

SERVERS = ("uvicorn-httptools-bounded", "uvicorn-httptools", "uvicorn-h11", "hypercorn", "granian")


def app_factory() -> Any:
    """The ASGI app of `hookline serve`, built from the environment (granian imports this)."""
    return create_app(Runtime(Settings.from_env()), run_worker=True)


def run(server: str, host: str, port: int) -> None:
    settings = Settings.from_env()
    if server.startswith("uvicorn-"):
        http: Any = {
            "uvicorn-httptools-bounded": bounded_protocol(RequestLimits.of(settings)),
            "uvicorn-httptools": "httptools",
            "uvicorn-h11": "h11",
        }[server]
        uvicorn.run(
            app_factory(), host=host, port=port, http=http, log_level="warning", access_log=False,
            proxy_headers=False, h11_max_incomplete_event_size=settings.max_header_bytes,
        )  # fmt: skip
    elif server == "hypercorn":
        uvloop.run(_hypercorn(host, port, settings))
    elif server == "granian":
        from granian.constants import Interfaces, Loops
        from granian.server import Server

        Server(
            "bench.serve_with:app_factory", address=host, port=port, interface=Interfaces.ASGI,
            workers=1, loop=Loops.uvloop, factory=True, log_access=False,
        ).serve()  # fmt: skip
    else:
        raise SystemExit(f"unknown server {server!r}; choose from {', '.join(SERVERS)}")


async def _hypercorn(host: str, port: int, settings: Settings) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.h11_max_incomplete_size = settings.max_header_bytes
    config.read_timeout = int(settings.request_read_timeout.total_seconds())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(app_factory(), config, shutdown_trigger=stop.wait)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("server", choices=SERVERS)
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args()
    run(arguments.server, arguments.host, arguments.port)


if __name__ == "__main__":
    main()
