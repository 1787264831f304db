"""``apiconform serve``: run the demo app, or N agent apps, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import click

from apiconform.common.logs import configure_logging, get_logger
from apiconform.common.loop import run
from apiconform.errors import ConfigError
from apiconform.reference.kernel import AppConfig, Application, InvalidConfig
from apiconform.reference.settings import (
    ConfigSources,
    add_environment,
    explain,
    load_file,
    parse_setting,
)


def build_apps(*, config: dict[str, Any], agents: int) -> list[Application]:
    """The demo app, or ``agents`` agent apps; a config's ``[agents.<name>]`` tables hold
    values for one agent only."""
    from apiconform.reference.demo.app import create_agents, create_demo_app

    base = dict(config)
    per_agent = base.pop("agents", {})
    if not isinstance(per_agent, dict) or not all(isinstance(v, dict) for v in per_agent.values()):
        raise ConfigError("config: [agents] must hold one table per agent, e.g. [agents.agent-0]")
    if agents:
        return create_agents(agents, base=base, overrides=per_agent)
    if per_agent:
        raise ConfigError("config: [agents] tables need --agents N")
    return [create_demo_app(config=base)]


def config_sources(
    *,
    config_file: Path | None,
    host: str | None = None,
    port: int | None = None,
    database_url: str | None = None,
    oauth_mock_url: str | None = None,
    settings: tuple[str, ...] = (),
    environ: dict[str, str] | None = None,
) -> ConfigSources:
    """The serve command's config, layer by layer: file, environment, options."""
    from apiconform.reference.demo.app import demo_features

    sources = ConfigSources()
    if config_file is not None:
        sources.add(load_file(config_file), str(config_file))
    known = {*AppConfig.model_fields, *(f.name for f in demo_features())}
    add_environment(sources, known, environ)
    if host is not None:
        sources.add({"host": host}, "--host")
    if port is not None:
        sources.add({"port": port}, "--port")
    if database_url:
        sources.add({"database": {"url": database_url}}, "--database-url")
    if oauth_mock_url:
        sources.add({"auth": {"mock_url": oauth_mock_url}}, "--oauth-mock-url")
    for setting in settings:
        sources.add(parse_setting(setting), f"--set {setting.partition('=')[0].strip()}")
    return sources


async def run_until_signalled(apps: list[Application], stop: asyncio.Event | None = None) -> int:
    """Start every app, wait for SIGINT/SIGTERM (or ``stop``), then dispose them all; the
    exit code is 1 when requests had to be cut after the drain timeout, else 0.

    If one app fails to start, those already started are disposed and the error raised.
    The addresses go to stderr: stdout is the JSON log stream.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log = get_logger("apiconform.serve")
    try:
        for app in apps:
            await app.start()
            click.echo(f"{app.id} ({app.scope}) serving on {app.address}", err=True)
        loop_module = type(loop).__module__.split(".")[0]
        log.info(
            "serving",
            apps=[a.id for a in apps],
            loop="uvloop" if loop_module == "uvloop" else "asyncio",
        )
        await stop.wait()
        log.info("stopping", apps=[a.id for a in apps])
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await asyncio.gather(*(app.dispose() for app in apps))
    return 1 if any(app.requests_cut for app in apps) else 0


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
    default=None,
    help="Database URL (postgresql://..., sqlite:///path); also APICONFORM_DATABASE_URL. "
    "Default: an in-memory SQLite database per app.",
)
@click.option(
    "--oauth-mock-url",
    default=None,
    help="Point every OAuth provider at this mock OAuth server (apiconform mock-oauth), "
    "with its default client; also APICONFORM_AUTH__MOCK_URL.",
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
    oauth_mock_url: str | None,
    settings: tuple[str, ...],
    agents: int,
) -> int:
    """Run the reference demo app until Ctrl-C or SIGTERM.

    Config layers, later ones winning: --config FILE, APICONFORM_<KEY>[__<KEY>]
    environment variables (e.g. APICONFORM_ERRORS__BODY_LIMIT=1024), then the options.
    """
    configure_logging()
    sources = config_sources(
        config_file=config_file,
        host=host,
        port=port,
        database_url=database_url,
        oauth_mock_url=oauth_mock_url,
        settings=settings,
    )
    try:
        apps = build_apps(config=sources.values, agents=agents)
    except InvalidConfig as exc:
        agent = exc.app_id.removeprefix("agent:") if exc.app_id.startswith("agent:") else None
        raise ConfigError(explain(exc, sources, agent)) from None
    return run(run_until_signalled(apps))
