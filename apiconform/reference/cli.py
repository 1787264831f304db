"""``apiconform serve``: run the demo app, or N agent apps, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import tomllib
from pathlib import Path
from typing import Any

import click

from apiconform.common.logs import configure_logging, get_logger
from apiconform.errors import ConfigError
from apiconform.reference.kernel import Application


def load_config_file(path: Path) -> dict[str, Any]:
    """Read an app config TOML file; a syntax error names the file and line."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def parse_setting(text: str) -> dict[str, Any]:
    """``a.b.c=value`` as ``{"a": {"b": {"c": value}}}``; the value is JSON when it parses
    as JSON, else the plain string."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(part.isidentifier() for part in parts):
        raise ConfigError(
            f"--set {text!r}: use a dotted key and a value, e.g. errors.body_limit=1024"
        )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    for part in reversed(parts):
        value = {part: value}
    return dict(value)


def build_apps(
    *,
    host: str | None,
    port: int | None,
    config: dict[str, Any],
    agents: int,
    database_url: str | None = None,
) -> list[Application]:
    """The demo app, or ``agents`` agent apps; a config file's ``[agents.<name>]`` tables
    hold values for one agent only."""
    from apiconform.reference.demo.app import create_agents, create_demo_app, merge

    base = dict(config)
    per_agent = base.pop("agents", {})
    if not isinstance(per_agent, dict) or not all(isinstance(v, dict) for v in per_agent.values()):
        raise ConfigError("config: [agents] must hold one table per agent, e.g. [agents.agent-0]")
    if host is not None:
        base["host"] = host
    if port is not None:
        base["port"] = port
    if database_url:
        base = merge(base, {"database": {"url": database_url}})
    if agents:
        return create_agents(agents, base=base, overrides=per_agent)
    if per_agent:
        raise ConfigError("config: [agents] tables need --agents N")
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
    "--database-url",
    envvar="APICONFORM_DATABASE_URL",
    default=None,
    help="SQLAlchemy async URL (sqlite+aiosqlite:///..., postgresql+asyncpg://...); "
    "default: an in-memory SQLite database per app.",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override one config value (dotted key, JSON value), e.g. --set environment=development.",
)
@click.option(
    "--agents",
    type=click.IntRange(0, 256),
    default=0,
    help="Run N agent-scoped apps on consecutive ports instead of one singleton app.",
)
def serve(
    host: str | None,
    port: int | None,
    config_file: Path | None,
    database_url: str | None,
    settings: tuple[str, ...],
    agents: int,
) -> None:
    """Run the reference demo app until Ctrl-C or SIGTERM."""
    from apiconform.reference.demo.app import merge

    configure_logging()
    config = load_config_file(config_file) if config_file else {}
    for setting in settings:
        config = merge(config, parse_setting(setting))
    apps = build_apps(host=host, port=port, config=config, agents=agents, database_url=database_url)
    asyncio.run(run_until_signalled(apps))
