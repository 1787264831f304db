"""Start-up probes, stopping cleanly on signals, and the progress display."""

from __future__ import annotations

import io
import os
import signal
import textwrap
import threading
from pathlib import Path

import pytest
from rich.console import Console

from apiconform.conformance.context import CheckContext
from apiconform.conformance.manifest import parse_manifest
from apiconform.conformance.progress import ConsoleProgress
from apiconform.conformance.registry import CheckSkipped, checks_for
from apiconform.conformance.report.model import CheckOutcome, Verdict
from apiconform.conformance.signals import Terminated, stop_cleanly
from apiconform.conformance.startup import StartupResult, run_startup_probe
from apiconform.conformance.target import ManagedTarget, TargetError

PROBE = textwrap.dedent(
    """
    import json, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    mode, port = sys.argv[1], int(sys.argv[2])
    print(json.dumps({"level": "info", "message": f"starting app {sys.argv[3]} on port {port}"}))
    sys.stdout.flush()
    if mode == "refuse":
        print(f"error: app {sys.argv[3]} cannot start: port {port} is taken", file=sys.stderr)
        sys.exit(2)
    if mode == "serve":
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
            def log_message(self, *args):
                pass
        HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    time.sleep(60)
    """
)


@pytest.fixture
def ctx(tmp_path: Path) -> CheckContext:
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    manifest = parse_manifest(
        {"target": {"start": f"{{python}} {script} {{port}}", "ready_timeout": 3}}
    )
    target = ManagedTarget(manifest.target, {"manifest_dir": str(tmp_path)})
    instance = target.instance([1])  # never spawned: the probes need only its settings
    return CheckContext(manifest=manifest, base_url="http://x", target=target, instance=instance)


def _script(ctx: CheckContext) -> str:
    return str(Path(ctx.target.values["manifest_dir"]) / "probe.py")  # type: ignore[union-attr]


def test_a_refusing_probe_reports_its_status_and_error_lines(ctx: CheckContext) -> None:
    result = run_startup_probe(
        ctx, f"{{python}} {_script(ctx)} refuse {{port}} {{app_id}}", {"app_id": "a1"}
    )
    assert result.code == 2
    assert not result.served
    assert f"starting app a1 on port {result.port}" in result.output
    # the informational JSON line is not part of the error
    assert result.errors == f"error: app a1 cannot start: port {result.port} is taken"


def test_a_probe_that_serves_is_seen_serving_and_stopped(ctx: CheckContext) -> None:
    result = run_startup_probe(
        ctx,
        f"{{python}} {_script(ctx)} serve {{port}} x",
        until=lambda output, port: False,
    )
    assert result.code is None  # still running at the bound: stopped by the suite
    assert result.served


def test_until_ends_the_wait_once_the_output_says_enough(ctx: CheckContext) -> None:
    result = run_startup_probe(
        ctx,
        f"{{python}} {_script(ctx)} hang {{port}} x",
        until=lambda output, port: "nothing here" in output or True,
    )
    assert result.code is None
    assert StartupResult(0, '{"level": 30}\n{oops\nplain', 1, False).errors == "{oops\nplain"


def test_a_probe_needs_managed_mode_and_known_placeholders(ctx: CheckContext) -> None:
    with pytest.raises(TargetError, match=r"needs \{nope\}"):
        run_startup_probe(ctx, "{python} {nope} {port}")
    external = CheckContext(manifest=ctx.manifest, base_url="http://x")
    with pytest.raises(CheckSkipped, match="needs managed mode"):
        run_startup_probe(external, "{python} x {port}")
    with pytest.raises(
        CheckSkipped, match=r"the target declares no scopes\.startup\.port_conflict"
    ):
        checks_for("SCOPE-HTTP-02")[0](external)


def test_a_signal_runs_the_cleanup_then_raises_terminated() -> None:
    cleaned: list[bool] = []
    before = signal.getsignal(signal.SIGTERM)

    def signalled() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Event().wait(5)  # the handler interrupts this

    with pytest.raises(Terminated) as info, stop_cleanly(lambda: cleaned.append(True)):
        signalled()
    assert cleaned == [True]
    assert info.value.exit_status == 128 + signal.SIGTERM
    assert str(info.value) == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before  # restored


def test_outside_the_main_thread_nothing_is_installed() -> None:
    seen: list[object] = []

    def worker() -> None:
        with stop_cleanly():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [before]


def _outcome(verdict: Verdict, message: str = "") -> CheckOutcome:
    return CheckOutcome("errors.x", ("ERR-PD-01",), verdict, message)


def test_progress_without_a_terminal_is_a_line_per_step() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(Console(file=stream, width=200, force_terminal=False))
    check = checks_for("ERR-PD-01")[0]
    with progress:
        progress.starting("starting the target")
        progress.waiting(1.0, "booting")  # too soon for a note
        progress.waiting(12.0, "still [booting]")
        progress.check_started(check, 1, 12)
        progress.check_finished(_outcome(Verdict.PASS))
        progress.check_started(check, 2, 12)
        progress.check_finished(_outcome(Verdict.FAIL, "answered [500]"))
    lines = stream.getvalue().splitlines()
    assert lines == [
        "starting the target ...",
        "still waiting for the target (12 s) - still [booting]",
        "[ 1/12] pass  ERR-PD-01",
        "[ 2/12] fail  ERR-PD-01  answered [500]",
    ]


def test_progress_on_a_terminal_is_live_and_keeps_failures() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(Console(file=stream, width=120, force_terminal=True))
    assert progress.live
    check = checks_for("ERR-PD-01")[0]
    with progress:
        progress.starting("starting the target")
        progress.waiting(3.0, "booting")
        progress.check_started(check, 1, 2)
        progress.check_finished(_outcome(Verdict.ERROR, "the check itself broke"))
        progress.check_started(check, 2, 2)
        progress.check_finished(_outcome(Verdict.PASS))
    text = stream.getvalue()
    assert "the check itself broke" in text
