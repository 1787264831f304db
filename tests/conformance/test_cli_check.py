from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from apiconform.cli import main
from tests.conformance.conftest import RunningDemo

ROOT = Path(__file__).resolve().parents[2]


def row(out: str, proposal: str) -> list[int]:
    """The (passed, failed, errors, skipped, not claimed) counts printed for ``proposal``."""
    line = next(x for x in out.splitlines() if x.startswith(proposal + " "))
    return [int(n) for n in line.split()[1:]]


# every claimed proposal of the reference, managed: about a minute alone, 99 s on a loaded
# CI machine before the OAuth and throttling checks joined it
@pytest.mark.timeout(360)
def test_check_with_no_arguments_checks_the_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    claims = (
        "add-api-versioning, add-application-scopes, add-error-handling, "
        "add-health-observability, add-oauth-providers, enhance-throttler"
    )
    assert re.search(rf"checking \d+ requirements \(managed mode, claims: {claims}\)", out)
    assert row(out, "add-application-scopes") == [16, 0, 0, 0, 0]
    health = row(out, "add-health-observability")
    assert health[0] >= 17
    assert health[1:3] == [0, 0]
    assert row(out, "add-api-versioning") == [22, 0, 0, 0, 0]  # every VER requirement
    for proposal in ("add-oauth-providers", "enhance-throttler"):  # their checks so far
        found = row(out, proposal)
        assert found[0] >= 8, found
        assert found[1:3] == [0, 0]
    assert row(out, "add-error-handling")[1:3] == [0, 0]  # (database cuts need DATABASE_URL)
    assert re.search(r"conformance passed \(managed mode, checked \d+ of \d+ claimed", out)
    assert "reports written to apiconform-report/" in out
    # without a terminal the progress is a line per check on stderr
    assert re.search(r"\[ ?\d+/\d+\] pass  ERR-PD-01", captured.err)
    assert "starting the target ..." in captured.err
    report = json.loads((tmp_path / "apiconform-report" / "conformance.json").read_text())
    assert report["passed"] is True
    assert report["command"].startswith(sys.executable)
    assert "errors.webhook_secret=[redacted]" in report["command"]
    assert "conformance-secret" not in json.dumps(report)
    assert report["manifest"]["errors"]["webhook_secret"] == "[redacted]"
    for name in ("conformance.html", "conformance.junit.xml", "conformance.md"):
        assert (tmp_path / "apiconform-report" / name).stat().st_size > 0


def test_check_a_running_url_with_its_manifest(
    running_demo: RunningDemo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = running_demo.write_manifest(tmp_path / "t.toml")
    args = ["check", running_demo.urls[0], "--manifest", str(manifest)]
    args += ["--report", str(tmp_path / "r"), "--proposals", "add-application-scopes"]
    assert main([*args, "--level", "MUST"]) == 0  # any case
    out = capsys.readouterr().out
    assert "(external mode, claims: add-application-scopes)" in out
    assert row(out, "add-application-scopes") == [10, 0, 0, 6, 0]
    # --strict: the MUST requirements this mode cannot verify fail the run
    assert main([*args, "--level", "must", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "NOT VERIFIED SCOPE-CTX-01 [MUST] needs managed mode" in out
    assert "conformance failed: 6 MUST requirement(s) not verified" in out


def test_check_a_running_apiconform_serve_passes(
    running_demo: RunningDemo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a bare URL claims every proposal on the spec's default paths
    assert main(["check", running_demo.urls[0], "--report", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert row(out, "add-application-scopes") == [3, 0, 0, 13, 0]
    errors = row(out, "add-error-handling")
    assert errors[1:3] == [0, 0]
    assert errors[0] >= 12
    results = json.loads((tmp_path / "r" / "conformance.json").read_text())["requirements"]
    reasons = {r["id"]: r["reason"] for r in results}
    assert reasons["SCOPE-LOG-02"] == ""
    health = row(out, "add-health-observability")
    assert health[1:3] == [0, 0]
    assert health[0] >= 16
    assert reasons["SCOPE-DI-01"] == (
        "partly checked (the rest held): one instance per scope needs two applications "
        "([[scopes.apps]])"
    )


def test_a_failing_must_requirement_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = ROOT / "apiconform/reference/demo"
    manifest = (demo / "manifest.toml").read_text()
    assert "{python} -m apiconform.cli serve" in manifest
    variant = "{python} -m tests.selftest.variants shared-cache serve"
    manifest = manifest.replace("{python} -m apiconform.cli serve", variant)
    manifest = manifest.replace("[target]\n", f'[target]\ncwd = "{ROOT}"\n', 1)
    path = tmp_path / "broken.toml"
    path.write_text(manifest)
    (tmp_path / "demo.toml").write_text((demo / "demo.toml").read_text())  # {manifest_dir}
    args = ["check", "--manifest", str(path), "--report", str(tmp_path / "r")]
    assert main([*args, "--proposals", "add-application-scopes"]) == 1
    out = capsys.readouterr().out
    assert "FAIL SCOPE-ISO-02 [MUST]" in out
    assert "conformance failed: 1 MUST requirement(s) failed" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", "--proposals", "add-magic"], "unknown proposal 'add-magic'"),
        (["check", "--proposals", ","], "--proposals ',' names no proposal"),
        (["check", "--manifest", "/nonexistent.toml"], "cannot read manifest"),
        (["check", "127.0.0.1:8000"], "'127.0.0.1:8000' is not a URL; did you mean http://127"),
        (
            ["check", "localhost:8000", "--manifest", "apiconform/reference/demo/manifest.toml"],
            "did you mean http://localhost:8000?",
        ),
        (["check", "ftp://x"], "<command line>: invalid manifest: target.base_url"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unwritable_report_folder_is_refused_before_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["check", "http://127.0.0.1:9", "--report", str(blocker / "reports")]) == 2
    captured = capsys.readouterr()
    assert "cannot write reports" in captured.err
    assert "checking" not in captured.out  # nothing was started


def test_a_target_that_does_not_answer_is_one_line_within_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    assert main(["check", "http://127.0.0.1:9", "--report", str(tmp_path / "r")]) == 2
    assert time.monotonic() - started < 8
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("apiconform: error: the target does not answer: cannot connect")


def test_a_run_that_checks_nothing_is_exit_2(
    running_demo: RunningDemo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.toml"
    path.write_text(f'claims = []\n[target]\nbase_url = "{running_demo.urls[0]}"\n')
    assert main(["check", "--manifest", str(path), "--report", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "apiconform: error: nothing was checked: " in err
    assert "x the manifest does not claim add-" in err
    assert (tmp_path / "r" / "conformance.json").exists()


HANGING_TARGET = textwrap.dedent(
    """
    import json, os, sys, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    port, record, database = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(record, "w") as fh:
        json.dump({"pid": os.getpid(), "database": database}, fh)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/ready":
                time.sleep(30)  # every probe hangs
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


def _hanging_manifest(tmp_path: Path) -> Path:
    script = tmp_path / "hanging.py"
    script.write_text(HANGING_TARGET)
    path = tmp_path / "t.toml"
    path.write_text(
        'claims = ["add-error-handling"]\n[target]\n'
        f'start = "{{python}} {script} {{port}} {tmp_path / "record.json"} {{database_url}}"\n'
        'ready_path = "/ready"\n'
    )
    return path


def test_repeated_timeouts_end_the_run_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    path = _hanging_manifest(tmp_path)
    started = time.monotonic()
    args = ["check", "--manifest", str(path), "--report", str(tmp_path / "r"), "--timeout", "0.5"]
    assert main(args) == 2
    assert time.monotonic() - started < 20
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(
        "apiconform: error: the target stopped answering: 3 requests in a row failed, the last: "
        "no answer within 0.5 s to GET"
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_target_and_removes_its_folders(
    tmp_path: Path, signum: signal.Signals
) -> None:
    path = _hanging_manifest(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "apiconform.cli", "check", "--manifest", str(path)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    record_file = tmp_path / "record.json"
    deadline = time.monotonic() + 30
    while not record_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # the target is ready; a check waits for its answer
    record = json.loads(record_file.read_text())
    folder = Path(record["database"].split("///", 1)[1]).parent
    assert folder.is_dir()
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 128 + signum
    assert f"apiconform: stopped by {signum.name}; the target and its services were stopped" in err
    with pytest.raises(ProcessLookupError):
        os.kill(record["pid"], 0)
    assert not folder.exists()


def test_catalog_command_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--proposal", "add-application-scopes"]) == 0
    table = capsys.readouterr().out
    head = table.splitlines()[0].split()
    assert head == ["id", "proposal", "level", "observed", "checked", "by", "title"]
    iso = next(line for line in table.splitlines() if line.startswith("SCOPE-ISO-02 "))
    assert "add-application-scopes" in iso
    assert "scopes.apps.cache_entries_do_not_leak" in iso
    registry = next(line for line in table.splitlines() if line.startswith("SCOPE-REG-01 "))
    assert "reference tests (@pytest.mark.requirement)" in registry
    assert "\nERR-" not in table
    assert main(["catalog", "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert len(entries) >= 188
    assert {"id", "proposal", "level", "observed", "spec", "scenario", "checked_by"} <= set(
        entries[0]
    )
    by_id = {e["id"]: e for e in entries}
    assert by_id["ERR-PD-01"]["checked_by"] == "errors.details.every_error_is_a_problem"
    assert by_id["COV-CFG-01"]["checked_by"] == "apiconform gate"
    assert by_id["VER-HDR-01"]["checked_by"] == "versioning.routing.header_selects_the_version"
    assert by_id["VER-DEC-03"]["checked_by"] == (
        "versioning.declaration.one_handler_serves_each_listed_version"
    )
    assert by_id["THR-DIST-01"]["checked_by"] == "no check yet"
    assert main(["catalog", "--format", "markdown", "--proposal", "add-api-versioning"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("## add-api-versioning")
    assert "| id | level | observed | checked by | title | spec scenario |" in markdown
    assert main(["catalog", "--proposal", "nope"]) == 2
