"""``apiconform mock-oauth``: serve the mock OAuth server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import click

from apiconform.common.logs import configure_logging, get_logger
from apiconform.common.loop import run
from apiconform.common.serving import Server
from apiconform.mocks.oauth_server.app import MockOAuthApp
from apiconform.mocks.oauth_server.config import build_config, load_config
from apiconform.mocks.oauth_server.server import DRAIN_TIMEOUT

DEFAULT_PORT = 8484


def describe(app: MockOAuthApp, url: str) -> list[str]:
    """What the command prints at start: the address, the client, each provider's URLs."""
    lines = [f"mock OAuth server on {url}"]
    for client in app.config.clients:
        secret = client.shown_secret or "(public client: no secret, PKCE required)"
        lines.append(f"client_id={client.client_id} client_secret={secret}")
    for name in app.providers:
        endpoints = app.endpoints(name, url)  # type: ignore[arg-type]
        entry = endpoints.discovery or endpoints.authorize
        lines.append(f"{name}: {entry}")
    lines.append(f"control API: {url}/_control")
    return lines


async def serve_until_stopped(
    app: MockOAuthApp,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    echo: Callable[[str], None] = click.echo,
) -> None:
    """Serve ``app`` until SIGINT/SIGTERM (or ``stop`` is set)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    server = Server(app, host, port, drain_timeout=DRAIN_TIMEOUT)
    log = get_logger("apiconform.mocks.oauth")
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
        display = f"[{host}]" if ":" in host else host
        for line in describe(app, f"http://{display}:{server.port}"):
            echo(line)
        log.info("mock oauth serving", host=host, port=server.port)
        await stop.wait()
        log.info("mock oauth stopping", host=host, port=server.port)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await server.stop()


@click.command("mock-oauth")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port (0 picks a free one).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="TOML file: clients, users, lifetimes, faults, switches.",
)
@click.option(
    "--auto-approve/--consent",
    default=None,
    help="Approve every authorization at once instead of showing the consent page.",
)
def mock_oauth(host: str, port: int, config_file: Path | None, auto_approve: bool | None) -> None:
    """Serve a mock OAuth server for Google, GitHub, Facebook and Microsoft."""
    configure_logging()
    config = load_config(config_file) if config_file else None
    if auto_approve is not None:
        config = build_config(config, auto_approve=auto_approve)
    run(serve_until_stopped(MockOAuthApp(config), host, port))
