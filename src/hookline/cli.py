"""The `hookline` command: serve, worker, migrate, api-keys."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import replace

import click
import uvloop

from hookline.config import ConfigError, Settings
from hookline.domain.enums import Role
from hookline.runtime import Runtime


def _settings(database_url: str | None) -> Settings:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    if database_url:
        settings = replace(settings, database_url=database_url)
    return settings


database_option = click.option(
    "--database-url", envvar="HOOKLINE_DATABASE_URL", default=None, help="sqlite:///path or postgresql://..."
)


@click.group()
@click.version_option(package_name="hookline")
def main() -> None:
    """hookline: durable, signed, retrying webhooks."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Serve the API and UI only; run `hookline worker` elsewhere.")
@database_option
def serve(host: str, port: int, no_worker: bool, database_url: str | None) -> None:
    """API, web UI and (unless --no-worker) an in-process delivery worker."""
    from hookline.api.app import create_app
    from hookline.server import serve as serve_http

    settings = _settings(database_url)
    serve_http(
        create_app(Runtime(settings), run_worker=not no_worker), host=host, port=port, settings=settings
    )


@main.command()
@database_option
def worker(database_url: str | None) -> None:
    """Deliver webhooks only; run as many as you like against PostgreSQL."""
    uvloop.run(_work(_settings(database_url)))


async def _work(settings: Settings) -> None:
    runtime = Runtime(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await runtime.start(run_worker=True)
    click.echo("hookline worker delivering; SIGTERM or Ctrl-C stops it gracefully", err=True)
    await stop.wait()
    await runtime.stop()


@main.command()
@database_option
def migrate(database_url: str | None) -> None:
    """Bring the database schema up to date."""
    asyncio.run(_migrate(_settings(database_url)))
    click.echo("database is up to date")


async def _migrate(settings: Settings) -> None:
    from hookline.store.db import Database

    db = Database(settings.database_url)
    try:
        await db.migrate()
    finally:
        await db.close()


@main.group("api-keys")
def api_keys() -> None:
    """Manage API keys."""


@api_keys.command("create")
@click.option("--organization", required=True, help="The organization the key acts for.")
@click.option("--role", required=True, type=click.Choice([role.name.lower() for role in Role]))
@click.option("--name", default="", help="A label to recognise the key by.")
@database_option
def create_key(organization: str, role: str, name: str, database_url: str | None) -> None:
    """Create a key and print it (it is shown only this once)."""
    key = asyncio.run(_create_key(_settings(database_url), organization, Role.parse(role), name))
    click.echo(key)


async def _create_key(settings: Settings, organization: str, role: Role, name: str) -> str:
    runtime = Runtime(settings)
    await runtime.db.migrate()
    try:
        _, key = await runtime.hookline.create_api_key(organization, role, name)
    finally:
        await runtime.db.close()
    return key
