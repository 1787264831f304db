from __future__ import annotations

import socket
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from apiconform.conformance.manifest import parse_manifest
from apiconform.conformance.target import (
    MAX_LINES,
    ManagedTarget,
    OutputLine,
    OutputLog,
    TargetError,
    consecutive_free_ports,
)

FAKE = textwrap.dedent(
    """
    import json, signal, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    mode, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
    if mode == "exit":
        print("cannot start: bad things", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status = 503 if mode == "never-ready" else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")
            print(json.dumps({"message": "served", "path": self.path}), flush=True)

        def log_message(self, *args):
            pass

    servers = [HTTPServer(("127.0.0.1", p), Handler) for p in ports]
    import threading
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("not json", flush=True)
    print(json.dumps({"message": "started", "ports": ports}), flush=True)
    servers[0].serve_forever()
    """
)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "fake_target.py"
    path.write_text(FAKE)
    return path


def target(script: Path, mode: str, ports: int = 1, **spec: object) -> ManagedTarget:
    port_args = " ".join(["{port}"] + [f"{{port{i}}}" for i in range(1, ports)])
    manifest = parse_manifest(
        {
            "target": {
                "start": f"{{python}} {script} {mode} {port_args}",
                "ports": ports,
                "ready_path": "/ready",
                **spec,
            }
        }
    )
    return ManagedTarget(manifest.target, {})


def test_start_waits_for_every_port_and_captures_output(script: Path) -> None:
    managed = target(script, "ok", ports=2)
    instance = managed.start_instance()
    try:
        assert instance.argv[0] == sys.executable
        assert instance.ports[1] == instance.ports[0] + 1
        since = instance.output.mark()
        assert httpx.get(f"{instance.url(1)}/hello").status_code == 200
        # the readiness polls' own lines may still arrive after the mark: look for ours
        hello = {"message": "served", "path": "/hello"}
        deadline = time.monotonic() + 10
        while hello not in instance.output.json_lines(since) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hello in instance.output.json_lines(since)
        assert "not json" in instance.output.text()
        assert {"message": "started", "ports": instance.ports} in instance.output.json_lines()
    finally:
        managed.stop_all()
    assert instance.returncode is not None


def test_early_exit_is_reported_with_the_output(script: Path) -> None:
    with pytest.raises(TargetError) as info:
        target(script, "exit").start_instance()
    assert "target exited with status 3 before it was ready" in str(info.value)
    assert "cannot start: bad things" in str(info.value)


def test_readiness_is_bounded(script: Path) -> None:
    managed = target(script, "never-ready", ready_timeout=0.5)
    with pytest.raises(TargetError, match=r"not ready within 0.5 s \(waiting for http://127"):
        managed.start_instance()
    assert managed.instances[0].returncode is not None  # stopped, not left running


def test_stop_escalates_to_sigkill(script: Path) -> None:
    managed = target(script, "ignore-term", stop_timeout=0.3)
    instance = managed.start_instance()
    assert instance.stop() == -9


def test_restart_gives_a_ready_process_again(script: Path) -> None:
    managed = target(script, "ok")
    instance = managed.start_instance()
    first = instance.proc
    instance.restart()
    try:
        assert instance.proc is not first
        assert httpx.get(f"{instance.base_url}/ready").status_code == 200
        assert "--- restarted by apiconform ---" in instance.output.text()
    finally:
        managed.stop_all()


def test_wait_exit_and_stop_of_an_ended_process(script: Path) -> None:
    managed = target(script, "exit")
    instance = managed.instance().spawn()
    assert instance.wait_exit(10) == 3
    assert instance.stop() == 3
    running = target(script, "ok").instance().spawn()
    assert running.wait_exit(0.1) is None
    running.stop()


def test_missing_program_is_a_target_error(tmp_path: Path) -> None:
    manifest = parse_manifest({"target": {"start": f"{tmp_path}/nope --port {{port}}"}})
    with pytest.raises(TargetError, match="cannot start"):
        ManagedTarget(manifest.target, {}).start_instance()


def test_placeholders_without_values_are_reported(script: Path) -> None:
    manifest = parse_manifest({"target": {"start": "run {port} {redis_url}"}})
    with pytest.raises(TargetError, match=r"needs \{redis_url\}, which is not available"):
        ManagedTarget(manifest.target, {}).command([8000])
    filled = ManagedTarget(manifest.target, {"redis_url": "redis://x"}).command([8000])
    assert filled == ["run", "8000", "redis://x"]


def test_target_without_start_command_is_refused() -> None:
    manifest = parse_manifest({"target": {"base_url": "http://127.0.0.1:1"}})
    with pytest.raises(TargetError, match=r"managed mode needs target\.start"):
        ManagedTarget(manifest.target, {})


def test_consecutive_ports_are_free_and_adjacent() -> None:
    ports = consecutive_free_ports(3)
    assert ports == [ports[0], ports[0] + 1, ports[0] + 2]
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_consecutive_ports_give_up_when_none_are_free(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: object) -> None:
        raise OSError("taken")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    with pytest.raises(TargetError, match="found no 2 consecutive free ports"):
        consecutive_free_ports(2, attempts=3)


def test_output_log_is_bounded_and_marks_survive_trimming() -> None:
    log = OutputLog()
    for i in range(MAX_LINES + 10):
        log.append(OutputLine("stdout", f"line {i}"))
    mark = log.mark()
    assert mark == MAX_LINES + 10
    assert len(log.lines()) == MAX_LINES
    log.append(OutputLine("stderr", '{"message": "after"}'))
    assert [line.text for line in log.lines(mark)] == ['{"message": "after"}']
    assert log.json_lines(mark) == [{"message": "after"}]
    assert OutputLine("stdout", "[1, 2]").json() is None
    assert OutputLine("stdout", "{broken").json() is None


def test_stop_ends_the_whole_process_group(tmp_path: Path, script: Path) -> None:
    # the manifest's command is a shell that starts the real server as its child
    manifest = parse_manifest(
        {
            "target": {
                # "; true" keeps the shell from exec-ing the server: it stays a grandchild
                "start": f"sh -c '{sys.executable} {script} ok $0; true' {{port}}",
                "ready_path": "/ready",
                "stop_timeout": 2,
            }
        }
    )
    managed = ManagedTarget(manifest.target, {})
    instance = managed.start_instance()
    url = f"{instance.base_url}/ready"
    assert httpx.get(url).status_code == 200
    managed.stop_all()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=1)


def test_a_failed_start_stops_what_was_started(tmp_path: Path) -> None:
    from apiconform.conformance.runner import ConformanceRun

    manifest = parse_manifest(
        {"target": {"start": f"{tmp_path}/missing {{port}} {{oauth_mock_url}}"}}
    )
    run = ConformanceRun(manifest)
    with pytest.raises(TargetError, match="cannot start"):
        run.start()
    assert run.echo is None  # the echo server was stopped
    assert run.oauth_mock is not None
    assert all(i.returncode is not None for i in run.oauth_mock.instances)
