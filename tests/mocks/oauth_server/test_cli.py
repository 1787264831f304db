"""``apiconform mock-oauth``: a process serving until SIGINT/SIGTERM, and its errors."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from apiconform.cli import main
from apiconform.mocks.oauth_server import ClientConfig, MockOAuthApp, build_config
from apiconform.mocks.oauth_server.cli import describe, serve_until_stopped


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "apiconform.cli", "mock-oauth", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "APICONFORM_LOG_FORMAT": "json"},
    )


def banner(proc: subprocess.Popen[str]) -> list[str]:
    """The lines printed up to the control API line (the end of the banner)."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if not line.startswith("{"):
            lines.append(line.strip())
        if line.startswith("control API:"):
            return lines
    raise AssertionError(f"no banner: {lines} {proc.stderr.read() if proc.stderr else ''}")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_command_serves_until_signalled(stop: signal.Signals) -> None:
    proc = start("--port", "0", "--auto-approve")
    try:
        lines = banner(proc)
        url = lines[0].removeprefix("mock OAuth server on ")
        assert url.startswith("http://127.0.0.1:")
        assert "client_id=apiconform-client client_secret=apiconform-secret" in lines
        assert f"google: {url}/google/.well-known/openid-configuration" in lines
        assert f"github: {url}/github/login/oauth/authorize" in lines
        location = httpx.get(
            f"{url}/github/login/oauth/authorize",
            params={"client_id": "apiconform-client", "redirect_uri": "http://localhost:1/cb"},
        ).headers["location"]
        assert "code=" in location  # --auto-approve
    finally:
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_config_file_is_used(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('[[clients]]\nclient_id = "web"\nclient_secret = "s3cr3t"\n')
    proc = start("--port", "0", "--config", str(config))
    try:
        lines = banner(proc)
        assert "client_id=web client_secret=***" in lines  # a real secret is not printed
        assert not any("s3cr3t" in line for line in lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def test_bad_config_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("auto_approve = 'perhaps'\n")
    assert main(["mock-oauth", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"apiconform: error: {config}: invalid config: auto_approve")
    assert err.count("\n") == 1


def test_taken_port_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert main(["mock-oauth", "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mock-oauth", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--port", "--auto-approve", "--config", "--host"):
        assert option in out


async def serve_briefly(app: MockOAuthApp, host: str) -> list[str]:
    """Run ``serve_until_stopped`` until its banner is out and one request answered."""
    printed: list[str] = []
    stop = asyncio.Event()
    task = asyncio.create_task(serve_until_stopped(app, host, 0, stop=stop, echo=printed.append))
    while not any(line.startswith("control API") for line in printed):
        await asyncio.sleep(0.01)
    url = printed[0].removeprefix("mock OAuth server on ")
    async with httpx.AsyncClient() as client:
        printed.append(str((await client.get(f"{url}/")).json()["client_id"]))
    stop.set()
    await task
    return printed


async def test_serve_until_stopped_prints_and_stops() -> None:
    app = MockOAuthApp(build_config(clients=[ClientConfig(client_id="spa", client_secret=None)]))
    printed = await serve_briefly(app, "127.0.0.1")
    assert "client_id=spa client_secret=(public client: no secret, PKCE required)" in printed
    assert printed[-1] == "spa"


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_ipv6_addresses_are_bracketed() -> None:
    printed = await serve_briefly(MockOAuthApp(), "::1")
    assert printed[0].startswith("mock OAuth server on http://[::1]:")
    assert describe(MockOAuthApp(), "http://[::1]:1")[-1] == "control API: http://[::1]:1/_control"
