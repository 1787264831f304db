from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from apiconform.cli import main
from apiconform.reference.cli import run_until_signalled
from apiconform.reference.demo.app import create_agents
from apiconform.reference.kernel import AppRegistry


def start_serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "apiconform.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "APICONFORM_LOG_FORMAT": "json"},
    )


def wait_for_addresses(proc: subprocess.Popen[str], count: int) -> list[str]:
    """The addresses ``serve`` prints on stderr (stdout is the JSON log stream)."""
    assert proc.stderr is not None
    addresses: list[str] = []
    deadline = time.monotonic() + 20
    while len(addresses) < count and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            addresses.append(match.group(1))
    assert len(addresses) == count, "serve did not come up"
    return addresses


def free_pair() -> int:
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no two consecutive free ports")


def test_serve_runs_agents_and_stops_cleanly_on_sigterm() -> None:
    port = free_pair()
    proc = start_serve("--agents", "2", "--port", str(port))
    try:
        addresses = wait_for_addresses(proc, 2)
        assert addresses == [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
        replies = [httpx.get(f"{a}/scopes/whoami").json()["app_id"] for a in addresses]
        assert replies == ["agent:agent-0", "agent:agent-1"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    # stdout is JSON lines only, so it pipes into jq
    lines = [json.loads(line) for line in out.splitlines()]
    messages = [line["message"] for line in lines]
    assert messages.count("application disposed") == 2
    [serving] = [line for line in lines if line["message"] == "serving"]
    assert serving["loop"] == "uvloop"  # installed with the package: the servers use it


def test_serve_with_config_file_and_sigint(tmp_path: Path) -> None:
    config = tmp_path / "app.toml"
    config.write_text('environment = "development"\n[settings]\ngreeting = "hello"\n')
    proc = start_serve("--port", "0", "--config", str(config))
    try:
        [address] = wait_for_addresses(proc, 1)
        assert httpx.get(f"{address}/scopes/config").json() == {
            "app_id": "demo",
            "settings": {"greeting": "hello"},
        }
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_taken_port_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = start_serve("--port", str(port))
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert f"apiconform: error: port {port} on 127.0.0.1 is already in use" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            "port = 99999\n",
            "app 'demo': invalid config: port: Input should be less than or equal to 65535",
        ),
        ("port = [\n", "invalid TOML"),
        (
            "colour = 'red'\n",
            "colour: unknown setting or section; valid ones: auth, cache, database, "
            "drain_timeout, environment, errors, host, observability, port, proxy_header, "
            "settings, throttling, trusted_proxies, versioning (from ",
        ),
    ],
)
def test_bad_config_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, fragment: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1


def test_missing_config_file_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["serve", "--config", str(tmp_path / "none.toml")]) == 2
    assert "none.toml: cannot read config: No such file or directory" in capsys.readouterr().err


def test_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    assert "70000 is not in the range" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "serve" in capsys.readouterr().out
    assert main(["nonsense"]) == 2


async def test_run_until_signalled_disposes_every_app_when_stopped(registry: AppRegistry) -> None:
    apps = create_agents(3, base={"port": 0}, registry=registry)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_until_signalled(apps, stop))
    while not all(a.address for a in apps):
        await asyncio.sleep(0.01)
    stop.set()
    await runner
    assert len(registry) == 0


async def test_run_until_signalled_cleans_up_when_one_app_cannot_start(
    registry: AppRegistry,
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        apps = create_agents(2, base={"port": 0}, registry=registry)
        apps[1].config = apps[1].config.model_copy(update={"port": taken})
        with pytest.raises(Exception, match="already in use"):
            await run_until_signalled(apps)
    assert len(registry) == 0
