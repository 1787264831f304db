"""``apiconform serve``: run the demo app, or N agent apps, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import tomllib
from pathlib import Path
from typing import Any

import click

from apiconform.errors import ConfigError
from apiconform.reference.kernel import Application
from apiconform.reference.kernel.logging import configure_logging, get_logger


def load_config_file(path: Path) -> dict[str, Any]:
    """Read an app config TOML file; a syntax error names the file and line."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def build_apps(
    *, host: str | None, port: int | None, config: dict[str, Any], agents: int
) -> list[Application]:
    from apiconform.reference.demo.app import create_agents, create_demo_app

    base = dict(config)
    if host is not None:
        base["host"] = host
    if port is not None:
        base["port"] = port
    if agents:
        return create_agents(agents, base=base)
    return [create_demo_app(config=base)]


async def run_until_signalled(apps: list[Application], stop: asyncio.Event | None = None) -> None:
    """Start every app, wait for SIGINT/SIGTERM (or ``stop``), then dispose them all.

    If one app fails to start, those already started are disposed and the error raised.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log = get_logger("apiconform.serve")
    try:
        for app in apps:
            await app.start()
            click.echo(f"{app.id} ({app.scope}) serving on {app.address}")
        log.info("serving", apps=[a.id for a in apps])
        await stop.wait()
        log.info("stopping", apps=[a.id for a in apps])
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await asyncio.gather(*(app.dispose() for app in apps))


@click.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8000).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML file with the app config (host, port, environment, cache, settings, ...).",
)
@click.option(
    "--agents",
    type=click.IntRange(0, 256),
    default=0,
    help="Run N agent-scoped apps on consecutive ports instead of one singleton app.",
)
def serve(host: str | None, port: int | None, config_file: Path | None, agents: int) -> None:
    """Run the reference demo app until Ctrl-C or SIGTERM."""
    configure_logging()
    config = load_config_file(config_file) if config_file else {}
    apps = build_apps(host=host, port=port, config=config, agents=agents)
    asyncio.run(run_until_signalled(apps))
