from __future__ import annotations

import json
import os
import runpy
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apiconform.conformance.manifest import default_manifest
from apiconform.conformance.plugin import run_check_in_pytest
from apiconform.conformance.registry import Check, CheckSkipped, expect
from apiconform.conformance.runner import ConformanceRun
from apiconform.spec import load_catalog
from tests.conformance.conftest import RunningDemo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _inner_ini(pytester: pytest.Pytester) -> None:
    # the inner runs see the outer warning filters; give pytest-asyncio its setting
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


def test_plugin_is_inert_without_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requirement("SCOPE-ISO-02")
        def test_mine():
            assert 1 + 1 == 2

        def target():
            return "the project's own helper named like a fixture"

        def test_other():
            assert target().startswith("the project's")
        """
    )
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*conformance*")


def test_conformance_fixtures_fail_clearly_without_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_uses(target):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the conformance fixtures need --conformance-url*"])


def test_options_are_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--conformance-url*",
            "*--conformance-manifest*",
            "*--conformance-report*",
            "*--conformance-proposals*",
            "*--conformance-level*",
        ]
    )


def test_suite_against_a_running_target_writes_reports(
    pytester: pytest.Pytester, running_demo: RunningDemo, tmp_path: Path
) -> None:
    manifest = running_demo.write_manifest(tmp_path / "target.toml")
    report_dir = tmp_path / "report"
    result = pytester.runpytest(
        "--pyargs",
        "apiconform.conformance.suite",
        f"--conformance-manifest={manifest}",
        f"--conformance-report={report_dir}",
        "--conformance-proposals=add-application-scopes",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=9, skipped=6)  # one check decides two requirements
    result.stdout.fnmatch_lines(
        [
            "*add-application-scopes: 10 passed, 0 failed, 0 errors, 6 skipped, 0 not claimed*",
            "*conformance passed: checked 10 of 16 claimed requirements*",
        ]
    )
    data = json.loads((report_dir / "conformance.json").read_text())
    assert data["passed"] is True
    assert {r["verdict"] for r in data["requirements"]} == {"pass", "skip"}


def test_users_own_marked_tests_count_in_the_report(
    pytester: pytest.Pytester, running_demo: RunningDemo, tmp_path: Path
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.requirement("SCOPE-HTTP-01")
        def test_whoami(target, manifest, echo_server):
            assert manifest.claims_proposal("add-application-scopes")
            assert echo_server.url.startswith("http://127.0.0.1:")
            assert target.get("/scopes/whoami").status_code == 200

        @pytest.mark.requirement("SCOPE-DI-02")
        def test_broken(target):
            assert target.get("/nowhere").status_code == 200

        @pytest.fixture
        def broken_fixture():
            raise RuntimeError("setup broke")

        @pytest.mark.requirement("SCOPE-DI-03")
        def test_setup_fails(broken_fixture):
            pass

        @pytest.mark.requirement("NOPE-XX-01")
        def test_unknown_id():
            pass
        """
    )
    manifest = running_demo.write_manifest(tmp_path / "target.toml")
    result = pytester.runpytest(
        f"--conformance-manifest={manifest}",
        f"--conformance-report={tmp_path / 'r'}",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1, failed=1, errors=2)
    result.stdout.re_match_lines([r".*unknown requirement id\(s\) \['NOPE-XX-01'\].*"])
    data = json.loads((tmp_path / "r" / "conformance.json").read_text())
    by_id = {r["id"]: r for r in data["requirements"]}
    assert by_id["SCOPE-HTTP-01"]["verdict"] == "pass"
    assert by_id["SCOPE-DI-02"]["verdict"] == "fail"
    assert by_id["SCOPE-DI-02"]["checks"][0]["check"].endswith("::test_broken")
    assert by_id["SCOPE-DI-03"]["verdict"] == "fail"
    assert by_id["SCOPE-DI-03"]["checks"][0]["message"].startswith("setup: ")


def test_unreachable_managed_target_fails_the_fixture(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    manifest = tmp_path / "bad.toml"
    manifest.write_text('[target]\nstart = "/nonexistent/server --port {port}"\n')
    pytester.makepyfile("def test_uses(target):\n    pass\n")
    result = pytester.runpytest(f"--conformance-manifest={manifest}", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*conformance target: cannot start '/nonexistent/server'*"])


def _check(rid: str, fn: object) -> Check:
    return Check("t.check", load_catalog().get(rid).proposal, (rid,), fn, "")  # type: ignore[arg-type]


def test_pytest_outcomes_follow_the_requirement_level() -> None:
    run = ConformanceRun(default_manifest("http://127.0.0.1:9"))

    def fails(ctx: object) -> None:
        expect(False, "SCOPE-DI-01.same-instance", "not met")

    def skips(ctx: object) -> None:
        raise CheckSkipped("no probe")

    optional = next(r.id for r in load_catalog() if r.level.value != "MUST" and r.checkable)
    with pytest.raises(pytest.xfail.Exception, match="not met"):
        run_check_in_pytest(run, _check(optional, fails))
    with pytest.raises(pytest.fail.Exception, match="not met"):
        run_check_in_pytest(run, _check("SCOPE-DI-01", fails))
    with pytest.raises(pytest.skip.Exception, match="no probe"):
        run_check_in_pytest(run, _check("SCOPE-DI-01", skips))
    with pytest.raises(pytest.skip.Exception, match="skip: needs managed mode"):
        run_check_in_pytest(run, _check("SCOPE-CTX-01", fails))
    with pytest.raises(pytest.fail.Exception, match=r"the check broke .*ZeroDivisionError"):
        run_check_in_pytest(run, _check("SCOPE-DI-01", lambda ctx: 1 / 0))
    run_check_in_pytest(run, _check("SCOPE-DI-01", lambda ctx: None))
    strict = ConformanceRun(default_manifest("http://127.0.0.1:9"), strict=True)
    with pytest.raises(pytest.fail.Exception, match=r"not verified \(strict\): no probe"):
        run_check_in_pytest(strict, _check("SCOPE-DI-01", skips))
    with pytest.raises(
        pytest.fail.Exception, match=r"not verified \(strict\): skip: needs managed"
    ):
        run_check_in_pytest(strict, _check("SCOPE-CTX-01", fails))
    with pytest.raises(pytest.skip.Exception, match="no probe"):  # not a MUST: still a skip
        run_check_in_pytest(strict, _check(optional, skips))


def test_test_ids_carry_the_requirement_ids(
    pytester: pytest.Pytester, running_demo: RunningDemo, tmp_path: Path
) -> None:
    manifest = running_demo.write_manifest(tmp_path / "target.toml")
    args = ["--pyargs", "apiconform.conformance.suite", f"--conformance-manifest={manifest}"]
    result = pytester.runpytest(*args, "-p", "no:cacheprovider", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["*test_requirement?SCOPE-ISO-02:scopes.apps.cache_entries_do_not_leak?*"]
    )
    result = pytester.runpytest(*args, "-p", "no:cacheprovider", "-k", "SCOPE-ISO-02", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SCOPE-ISO-02*PASSED*"])


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--conformance-proposals=add-magic", "conformance: unknown proposal 'add-magic'"),
        ("--conformance-level=sometimes", "conformance: unknown level 'sometimes'"),
        ("--conformance-timeout=soon", "conformance: --conformance-timeout 'soon'"),
        ("--conformance-url=localhost:8000", "did you mean http://localhost:8000?"),
        ("--conformance-manifest=/nonexistent.toml", "cannot read manifest"),
    ],
)
def test_a_bad_option_is_a_usage_error(
    pytester: pytest.Pytester, option: str, message: str
) -> None:
    result = pytester.runpytest("--pyargs", "apiconform.conformance.suite", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_an_unwritable_report_folder_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = pytester.runpytest(
        "--conformance-url=http://127.0.0.1:9", f"--conformance-report={blocker}/r"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot write reports*"])


def test_the_readme_plugin_example_runs_as_written(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### As a pytest plugin", 1)[1]
    example = section.split("```bash\n", 1)[1].split("```", 1)[0]
    words = shlex.split(example.replace("\\\n", " "))
    assert words[:3] == ["pytest", "--pyargs", "apiconform.conformance.suite"]
    options = dict(w.split("=", 1) for w in words[3:])
    manifest = ROOT / options["--conformance-manifest"]
    assert manifest.is_file(), f"the README's example names {manifest}, which does not exist"
    options["--conformance-manifest"] = str(manifest)
    options["--conformance-report"] = str(tmp_path / "report")
    result = pytester.runpytest(
        *words[1:3], *(f"{k}={v}" for k, v in options.items()), "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.OK
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    assert outcomes["passed"] >= 15
    data = json.loads((tmp_path / "report" / "conformance.json").read_text())
    assert data["passed"] is True


def test_plugin_module_imports_on_its_own() -> None:
    # pytest imports entry-point plugins before coverage starts; executing the module again
    # checks it stands alone and lets its module-level lines be measured
    import apiconform.conformance.plugin as plugin

    namespace = runpy.run_path(plugin.__file__)
    assert namespace["OPTIONS"] == (
        "url",
        "manifest",
        "report",
        "proposals",
        "level",
        "timeout",
        "strict",
    )
    assert callable(namespace["pytest_addoption"])


def test_a_signal_to_the_plugin_session_stops_the_target(tmp_path: Path) -> None:
    from tests.conformance.test_cli_check import _hanging_manifest

    path = _hanging_manifest(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "COV_CORE_SOURCE")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "apiconform.conformance.suite",
            f"--conformance-manifest={path}",
            "-p",
            "no:cacheprovider",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    record_file = tmp_path / "record.json"
    deadline = time.monotonic() + 30
    while not record_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # the session is in a check, waiting for the target
    record = json.loads(record_file.read_text())
    folder = Path(record["database"].split("///", 1)[1]).parent
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, out
    assert "stopped by SIGTERM; the target and its services were stopped" in out
    with pytest.raises(ProcessLookupError):
        os.kill(record["pid"], 0)
    assert not folder.exists()
