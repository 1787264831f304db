from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from apiconform.conformance.manifest import default_manifest
from apiconform.conformance.plugin import run_check_in_pytest
from apiconform.conformance.registry import Check, CheckSkipped, expect
from apiconform.conformance.runner import ConformanceRun
from apiconform.spec import load_catalog
from tests.conformance.conftest import RunningDemo


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
    result.assert_outcomes(passed=8, skipped=4)  # one check decides two requirements
    result.stdout.fnmatch_lines(
        ["*add-application-scopes: 9 passed, 0 failed, 4 skipped, 0 not claimed*"]
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
        expect(False, "not met")

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
    run_check_in_pytest(run, _check("SCOPE-DI-01", lambda ctx: None))


def test_plugin_module_imports_on_its_own() -> None:
    # pytest imports entry-point plugins before coverage starts; executing the module again
    # checks it stands alone and lets its module-level lines be measured
    import apiconform.conformance.plugin as plugin

    namespace = runpy.run_path(plugin.__file__)
    assert namespace["OPTIONS"] == ("url", "manifest", "report", "proposals", "level")
    assert callable(namespace["pytest_addoption"])
