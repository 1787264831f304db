"""``apiconform load`` end to end: real locust runs of a few seconds against the reference
and against small targets on 127.0.0.1, correct and broken."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import main
from apiconform.common.serving import free_port
from apiconform.conformance.manifest import load_manifest
from apiconform.load.locust_run import LoadError, LocustProcess, Settings
from apiconform.load.plan import Plan, build_plan
from apiconform.load.plan import locustfile as locustfile_of
from tests.load.targets import FakeTarget, serve

SHORT = ["--run-time", "2s", "--users", "2", "--spawn-rate", "10"]
CLAIMS = '["add-health-observability", "add-error-handling"]'


def manifest_for(url: str, tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(
        f'claims = {CLAIMS}\n[target]\nbase_url = "{url}"\n[load]\ntrivial = "/ping"\n{extra}'
    )
    return path


def load_json(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "load.json").read_text())
    return data


def verdicts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in data["thresholds"]}


@pytest.fixture
def good() -> Iterator[str]:
    with serve(FakeTarget()) as url:
        yield url


def test_errors_against_the_reference_passes_and_reports(tmp_path: Path) -> None:
    report = tmp_path / "report"
    assert main(["load", "errors", *SHORT, "--report", str(report)]) == 0
    data = load_json(report)
    assert data["scenario"] == "errors"
    assert data["target"].startswith("http://127.0.0.1:")
    assert data["requests"] > 0
    assert data["failures"] == 0
    assert data["passed"] is True
    assert verdicts(data)["non_problem"]["measured"] == 0
    assert data["figures"]["errors"] == data["requests"]  # every response was looked at
    assert {"errors_stats.csv", "errors.html", "errors_failures.csv"} <= {
        p.name for p in report.iterdir()
    }


def test_errors_with_two_worker_processes_merges_their_observations(
    good: str, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    args = ["--manifest", str(manifest_for(good, tmp_path)), "--processes", "2", "--users", "4"]
    assert main(["load", "errors", "--run-time", "2s", *args, "--report", str(report)]) == 0
    data = load_json(report)
    assert data["requests"] > 0
    assert data["figures"]["errors"] == data["requests"]


def test_errors_that_are_not_problems_breach_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    with serve(FakeTarget("plain-errors")) as url:
        code = main(
            [
                "load",
                "errors",
                *SHORT,
                "--manifest",
                str(manifest_for(url, tmp_path)),
                "--report",
                str(report),
            ]
        )
    assert code == 1
    data = load_json(report)
    assert data["passed"] is False
    assert verdicts(data)["non_problem"]["measured"] == data["requests"] > 0
    assert "non_problem" in capsys.readouterr().out


def test_health_passes_and_a_stricter_threshold_file_fails_it(good: str, tmp_path: Path) -> None:
    manifest = str(manifest_for(good, tmp_path))
    report = tmp_path / "report"
    assert main(["load", "health", *SHORT, "--manifest", manifest, "--report", str(report)]) == 0
    data = load_json(report)
    assert data["figures"]["live.requests"] > 0
    assert data["figures"]["background.requests"] > 0
    assert verdicts(data)["live.p99_ms"]["passed"] is True
    strict = tmp_path / "strict.toml"
    strict.write_text('[health]\n"live.p99_ms" = 0.0001\n')
    code = main(
        [
            "load",
            "health",
            *SHORT,
            "--manifest",
            manifest,
            "--thresholds",
            str(strict),
            "--report",
            str(report),
        ]
    )
    assert code == 1
    assert verdicts(load_json(report))["live.p99_ms"]["passed"] is False


def test_metrics_series_stay_bounded_on_a_correct_target(good: str, tmp_path: Path) -> None:
    report = tmp_path / "report"
    assert (
        main(
            [
                "load",
                "metrics",
                *SHORT,
                "--manifest",
                str(manifest_for(good, tmp_path)),
                "--report",
                str(report),
            ]
        )
        == 0
    )
    figures = load_json(report)["figures"]
    assert figures["raw_paths"] > 0
    assert figures["series_growth"] == 0
    assert figures["scrape.requests"] > 0


def test_metrics_labelled_by_raw_path_breach(tmp_path: Path) -> None:
    report = tmp_path / "report"
    with serve(FakeTarget("raw-path-labels")) as url:
        code = main(
            [
                "load",
                "metrics",
                "--run-time",
                "3s",
                "--users",
                "4",
                "--manifest",
                str(manifest_for(url, tmp_path)),
                "--report",
                str(report),
            ]
        )
    assert code == 1
    data = load_json(report)
    assert verdicts(data)["series_growth"]["passed"] is False
    assert data["figures"]["series_growth"] >= data["figures"]["raw_paths"] > 50


def test_overhead_against_a_peer_reports_the_ratio(good: str, tmp_path: Path) -> None:
    report = tmp_path / "report"
    lenient = tmp_path / "t.toml"
    lenient.write_text("[overhead]\nratio = { min = 0.01 }\n")
    args = [
        "--manifest",
        str(manifest_for(good, tmp_path)),
        "--peer",
        good,
        "--thresholds",
        str(lenient),
    ]
    assert main(["load", "overhead", *SHORT, *args, "--report", str(report)]) == 0
    figures = load_json(report)["figures"]
    assert figures["peer.rps"] > 0
    assert figures["ratio"] == pytest.approx(figures["rps"] / figures["peer.rps"])


def test_overhead_against_the_reference_starts_a_bare_peer(tmp_path: Path) -> None:
    report = tmp_path / "report"
    lenient = tmp_path / "t.toml"
    lenient.write_text("[overhead]\nratio = { min = 0.01 }\n")
    assert (
        main(["load", "overhead", *SHORT, "--thresholds", str(lenient), "--report", str(report)])
        == 0
    )
    figures = load_json(report)["figures"]
    assert figures["rps"] > 0
    assert figures["peer.rps"] > 0


def test_a_scenario_the_target_cannot_take_is_skipped_in_one_line(
    good: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    manifest = manifest_for(good, tmp_path, "[observability]\nlive = false\n")
    assert (
        main(["load", "health", *SHORT, "--manifest", str(manifest), "--report", str(report)]) == 0
    )
    assert "skipped: the target declares no observability.live" in capsys.readouterr().out
    assert load_json(report)["skipped"] == "the target declares no observability.live"
    assert main(["load", "overhead", *SHORT, "--manifest", str(manifest)]) == 0
    assert "give --peer URL" in capsys.readouterr().out


def test_a_target_that_does_not_answer_exits_2_within_seconds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    assert main(["load", "errors", *SHORT, "--host", f"http://127.0.0.1:{free_port()}"]) == 2
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert "does not answer" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run-time", "2x"], "--run-time"),
        (["--target", "reference", "--host", "http://127.0.0.1:1"], "cannot be combined"),
        (["--processes", "2", "--expect-workers", "2"], "cannot be combined"),
        (["--host", "127.0.0.1:8000"], "did you mean http://127.0.0.1:8000"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", "errors", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_the_request_cap_stops_the_run(good: str, tmp_path: Path) -> None:
    report = tmp_path / "report"
    started = time.monotonic()
    args = ["--manifest", str(manifest_for(good, tmp_path)), "--max-requests", "50"]
    assert (
        main(
            ["load", "errors", "--run-time", "60s", "--users", "2", *args, "--report", str(report)]
        )
        == 0
    )
    assert time.monotonic() - started < 30
    # the cap (checked every 2 s) ended it long before its 60 s run time
    assert load_json(report)["requests"] >= 50


def test_the_worker_command_carries_the_plan(
    good: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "load",
                "errors",
                "--manifest",
                str(manifest_for(good, tmp_path)),
                "--print-worker-command",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("APICONFORM_LOAD_PLAN=")
    assert "--worker --master-host" in out
    assert '"/errors/raise/not-found", 404' in out


def test_sigterm_stops_locust_and_the_reference(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "apiconform.cli", "load", "errors", "--run-time", "60s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:  # the progress line: locust is running against the reference
        if line.startswith("load:") and "requests" in line:
            break
    children = subprocess.run(
        ["pgrep", "-g", str(proc.pid)], capture_output=True, text=True
    ).stdout.split()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by" in err
    time.sleep(0.5)
    alive = [pid for pid in children if pid != str(proc.pid) and os.path.exists(f"/proc/{pid}")]
    assert alive == [], "locust or the reference outlived apiconform load"


def test_errors_with_the_wrong_status_breach(tmp_path: Path) -> None:
    report = tmp_path / "report"
    with serve(FakeTarget("all-500")) as url:
        args = ["--manifest", str(manifest_for(url, tmp_path)), "--report", str(report)]
        assert main(["load", "errors", *SHORT, *args]) == 1
    found = verdicts(load_json(report))
    assert found["unexpected_status"]["passed"] is False
    assert found["non_problem"]["passed"] is True


def test_a_metrics_endpoint_that_fails_breaches(tmp_path: Path) -> None:
    report = tmp_path / "report"
    with serve(FakeTarget("metrics-down")) as url:
        args = ["--manifest", str(manifest_for(url, tmp_path)), "--report", str(report)]
        assert main(["load", "metrics", *SHORT, *args]) == 1
    found = verdicts(load_json(report))
    assert found["scrape.failures"]["passed"] is False
    assert found["series_growth"]["measured"] is None


def test_no_worker_command_for_a_scenario_the_target_cannot_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = manifest_for("http://127.0.0.1:1", tmp_path, "[observability]\nlive = false\n")
    assert main(["load", "health", "--manifest", str(manifest), "--print-worker-command"]) == 2
    assert "health: the target declares no observability.live" in capsys.readouterr().err


def test_a_locustfile_without_its_plan_says_how_to_get_one() -> None:
    locustfile = locustfile_of("errors")
    env = {k: v for k, v in os.environ.items() if k != "APICONFORM_LOAD_PLAN"}
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-t", "1s"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "APICONFORM_LOAD_PLAN is not set" in done.stderr


def test_locust_failures_are_load_errors(good: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("raise RuntimeError('no such scenario')\n")
    plan = Plan("errors", {}, broken)
    with pytest.raises(LoadError, match="locust exited with status"):
        LocustProcess(plan, good, Settings(run_time=1), tmp_path, "x").run()
    silent = tmp_path / "silent.py"
    silent.write_text(
        "from locust import HttpUser, task\n"
        "class U(HttpUser):\n"
        "    @task\n"
        "    def t(self):\n"
        "        self.client.get('/ping')\n"
    )
    with pytest.raises(LoadError, match="locust wrote no statistics"):
        LocustProcess(Plan("errors", {}, silent), good, Settings(run_time=1), tmp_path, "y").run()


def test_a_locust_run_past_its_bound_is_stopped(good: str, tmp_path: Path) -> None:
    plan = build_plan("errors", load_manifest(manifest_for(good, tmp_path)))
    # a bound of 0.5 s: locust is still starting when it passes
    process = LocustProcess(plan, good, Settings(run_time=1, grace=-0.5), tmp_path, "z")
    with pytest.raises(LoadError, match=r"did not finish within 0\.5 s"):
        process.run()
    assert process.proc is not None
    assert process.proc.poll() is not None


def test_without_locust_the_command_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a)
    )
    assert main(["load", "errors"]) == 2
    assert "pip install 'apiconform[load]'" in capsys.readouterr().err


VERSIONING = """
[versioning]
vendor = "acme"
versions = ["1", "2"]
deprecated = { version = "1", path = "/users" }
"""


def versioning_manifest(url: str, tmp_path: Path) -> Path:
    path = tmp_path / "versioned.toml"
    path.write_text(f'claims = ["add-api-versioning"]\n[target]\nbase_url = "{url}"\n{VERSIONING}')
    return path


def test_versioned_traffic_against_the_reference_passes(tmp_path: Path) -> None:
    report = tmp_path / "report"
    assert main(["load", "versioned", *SHORT, "--report", str(report)]) == 0
    figures = load_json(report)["figures"]
    assert figures["versioned"] == figures["requests"] > 0
    for strategy in ("uri", "header", "media_type"):  # the demo declares all three
        assert figures[f"v1 {strategy}.requests"] + figures[f"v2 {strategy}.requests"] > 0


@pytest.mark.parametrize(
    ("broken", "breached"),
    [
        (None, None),
        ("header-ignored", "version_mismatch"),
        ("no-deprecation", "deprecation_missing"),
    ],
)
def test_versioned_traffic_finds_a_target_that_answers_the_wrong_version(
    broken: str | None, breached: str | None, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    with serve(FakeTarget(broken)) as url:
        args = ["--manifest", str(versioning_manifest(url, tmp_path)), "--report", str(report)]
        code = main(["load", "versioned", "--run-time", "2s", "--users", "4", *args])
    found = verdicts(load_json(report))
    if breached is None:
        assert code == 0
        assert all(v["passed"] for v in found.values())
    else:
        assert code == 1
        assert found[breached]["passed"] is False
        assert found[breached]["measured"] > 0


def oauth_manifest(tmp_path: Path, serve_options: str) -> Path:
    path = tmp_path / "oauth.toml"
    path.write_text(
        'claims = ["add-oauth-providers"]\n[target]\n'
        f'start = """{{python}} -m apiconform.cli serve --port {{port}} {serve_options}"""\n'
        'ready_path = "/health/live"\n'
    )
    return path


def test_sign_ins_through_the_mock_against_the_reference_pass(tmp_path: Path) -> None:
    report = tmp_path / "report"  # the reference's own manifest points it at the mock
    args = ["--users", "4", "--report", str(report)]
    assert main(["load", "oauth", "--run-time", "3s", *args]) == 0
    figures = load_json(report)["figures"]
    assert figures["logins"] > 0
    assert figures["login_failed"] == 0
    providers = ("google", "github", "facebook", "microsoft")
    # every sign-in ended with the current user, with the session the callback gave
    assert sum(figures.get(f"{p} me.requests", 0) for p in providers) == figures["logins"]


def test_a_target_whose_providers_are_not_the_mock_fails_without_leaving_loopback(
    tmp_path: Path,
) -> None:
    # the mock runs, but the reference's providers keep their real endpoints: every login
    # redirects elsewhere, and the scenario must count that, never follow it
    report = tmp_path / "report"
    manifest = oauth_manifest(tmp_path, """--set 'settings.unused="{oauth_mock_url}"'""")
    args = ["--manifest", str(manifest), "--report", str(report)]
    assert main(["load", "oauth", *SHORT, *args]) == 1
    figures = load_json(report)["figures"]
    assert figures["login_failed.start"] > 0
    assert figures["logins"] == 0
    assert not any(name.endswith("authorize.requests") for name in figures)


def test_sign_ins_need_the_suites_mock(
    good: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "external.toml"
    manifest.write_text(f'claims = ["add-oauth-providers"]\n[target]\nbase_url = "{good}"\n')
    assert main(["load", "oauth", *SHORT, "--manifest", str(manifest)]) == 0
    assert "needs the suite's mock OAuth server" in capsys.readouterr().out


needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="two instances share a real Redis (REDIS_URL)"
)


@needs_redis
def test_two_reference_instances_on_one_redis_never_over_admit(tmp_path: Path) -> None:
    report = tmp_path / "report"
    args = ["--users", "50", "--spawn-rate", "50", "--processes", "2", "--report", str(report)]
    assert main(["load", "throttle", "--run-time", "12s", *args]) == 0
    data = load_json(report)
    assert data["over_admitted"] == 0
    figures = data["figures"]
    assert figures["instances"] == 2
    assert figures["windows"] >= 1
    assert figures["admitted"] >= 5  # the demo's limit: 5 per 10 s
    assert figures["refused"] > figures["admitted"]


def test_instances_that_count_apart_over_admit_and_exit_1(tmp_path: Path) -> None:
    # the reference with its default memory storage: each instance keeps its own counters
    manifest = tmp_path / "apart.toml"
    manifest.write_text(
        'claims = ["enhance-throttler"]\n[target]\n'
        'start = "{python} -m apiconform.cli serve --port {port}"\n'
        'ready_path = "/health/live"\n'
    )
    report = tmp_path / "report"
    args = ["--manifest", str(manifest), "--users", "8", "--report", str(report)]
    assert main(["load", "throttle", "--run-time", "4s", *args]) == 1
    data = load_json(report)
    assert data["over_admitted"] >= 5
    assert verdicts(data)["over_admitted"]["passed"] is False


@pytest.mark.parametrize("scenario", ["health", "metrics", "versioned"])
def test_scenarios_against_the_reference_with_two_worker_processes(
    scenario: str, tmp_path: Path
) -> None:
    report = tmp_path / "report"
    args = ["--processes", "2", "--users", "4", "--report", str(report)]
    assert main(["load", scenario, "--run-time", "3s", *args]) == 0
    data = load_json(report)
    assert data["skipped"] is None
    assert data["requests"] > 0
    assert data["thresholds"]
    assert all(t["passed"] for t in data["thresholds"])


def test_sign_ins_with_two_worker_processes_merge_their_counts(tmp_path: Path) -> None:
    report = tmp_path / "report"
    manifest = oauth_manifest(tmp_path, "--oauth-mock-url {oauth_mock_url}")
    args = ["--manifest", str(manifest), "--processes", "2", "--users", "4"]
    assert main(["load", "oauth", "--run-time", "3s", *args, "--report", str(report)]) == 0
    data = load_json(report)
    figures = data["figures"]
    assert figures["logins"] > 0
    assert figures["login_failed"] == 0
    # both workers' sign-ins reached the master: one /auth/me per completed login
    me = sum(v for k, v in figures.items() if k.endswith(" me.requests"))
    assert me == figures["logins"]


def test_overhead_with_two_worker_processes_measures_both_sides(tmp_path: Path) -> None:
    report = tmp_path / "report"
    lenient = tmp_path / "t.toml"
    lenient.write_text("[overhead]\nratio = { min = 0.01 }\n")
    args = ["--processes", "2", "--users", "4", "--thresholds", str(lenient)]
    assert main(["load", "overhead", "--run-time", "2s", *args, "--report", str(report)]) == 0
    figures = load_json(report)["figures"]
    assert figures["requests"] > 0
    assert figures["peer.requests"] > 0
    assert figures["ratio"] == pytest.approx(figures["rps"] / figures["peer.rps"])
