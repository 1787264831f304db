from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiconform.conformance import registry
from apiconform.conformance.context import CheckContext
from apiconform.conformance.manifest import default_manifest, parse_manifest
from apiconform.conformance.registry import (
    Check,
    CheckFailed,
    CheckSkipped,
    RegistryError,
    all_checks,
    check,
    checks_for,
    expect,
)
from apiconform.conformance.report.model import Verdict
from apiconform.conformance.runner import ConformanceRun
from apiconform.spec import CatalogError, Level, Observed, load_catalog
from tests.conformance.conftest import RunningDemo


def fake(rid: str, fn: object) -> Check:
    return Check(f"fake.{rid}", load_catalog().get(rid).proposal, (rid,), fn, "")  # type: ignore[arg-type]


def test_external_mode_passes_http_checks_and_skips_process_ones(running_demo: RunningDemo) -> None:
    with ConformanceRun(running_demo.manifest(), proposals=["add-application-scopes"]) as run:
        run.run_all()
        report = run.report()
    verdicts = {r.id: r.verdict for r in report.results}
    reasons = {r.id: r.reason for r in report.results}
    assert report.mode == "external"
    assert report.target == running_demo.urls[0]
    for rid in (
        "SCOPE-DI-01",
        "SCOPE-DI-02",
        "SCOPE-DI-03",
        "SCOPE-ISO-01",
        "SCOPE-ISO-02",
        "SCOPE-ISO-03",
        "SCOPE-CFG-01",
        "SCOPE-HTTP-01",
        "SCOPE-TYPE-02",
    ):
        assert verdicts[rid] is Verdict.PASS, (rid, reasons[rid])
    for rid in ("SCOPE-CTX-01", "SCOPE-LOG-01", "SCOPE-HTTP-02"):
        assert verdicts[rid] is Verdict.SKIP
        assert reasons[rid] == "needs managed mode"
    assert report.passed


def test_unclaimed_proposals_are_not_claimed_not_failed(running_demo: RunningDemo) -> None:
    manifest = running_demo.manifest().model_copy(update={"claims": []})
    with ConformanceRun(manifest, proposals=["add-application-scopes"]) as run:
        assert run.checks() == []
        run.run_all()
        report = run.report()
    assert {r.verdict for r in report.results} == {Verdict.NOT_CLAIMED}
    assert report.results[0].reason == "the manifest does not claim add-application-scopes"
    assert report.passed


def test_level_and_proposal_selection() -> None:
    manifest = default_manifest("http://127.0.0.1:9")
    must = ConformanceRun(manifest, level=Level.MUST)
    assert {r.level for r in must.requirements} == {Level.MUST}
    scopes = ConformanceRun(manifest, proposals=["add-application-scopes"])
    assert {r.proposal for r in scopes.requirements} == {"add-application-scopes"}
    assert all(r.observed in (Observed.HTTP, Observed.PROCESS) for r in scopes.requirements)
    assert scopes.not_checkable == {"library": 20}


def test_outcomes_become_verdicts() -> None:
    manifest = default_manifest("http://127.0.0.1:9", ["add-application-scopes"])
    run = ConformanceRun(manifest, proposals=["add-application-scopes"])

    def passes(ctx: CheckContext) -> None:
        return None

    def fails(ctx: CheckContext) -> None:
        expect(False, "broken")

    def skips(ctx: CheckContext) -> None:
        raise CheckSkipped("no probe")

    def explodes(ctx: CheckContext) -> None:
        ctx.client().get("/x")  # nothing listens on port 9

    run.run_check(fake("SCOPE-DI-01", passes))
    run.run_check(fake("SCOPE-DI-01", skips))
    run.run_check(fake("SCOPE-DI-02", fails))
    run.run_check(fake("SCOPE-DI-02", passes))
    run.run_check(fake("SCOPE-DI-03", skips))
    outcome = run.run_check(fake("SCOPE-ISO-01", explodes))
    results = {r.id: r for r in run.report().results}
    assert results["SCOPE-DI-01"].verdict is Verdict.PASS
    assert results["SCOPE-DI-01"].reason == "fake.SCOPE-DI-01: no probe"
    assert (results["SCOPE-DI-02"].verdict, results["SCOPE-DI-02"].reason) == (
        Verdict.FAIL,
        "broken",
    )
    assert (results["SCOPE-DI-03"].verdict, results["SCOPE-DI-03"].reason) == (
        Verdict.SKIP,
        "no probe",
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.message.startswith("ConnectError")
    assert outcome.evidence[0]["response"]["error"].startswith("ConnectError")
    assert (results["SCOPE-ISO-02"].verdict, results["SCOPE-ISO-02"].reason) == (
        Verdict.SKIP,
        "no check ran",
    )
    assert not run.report().passed


def test_why_not_explains_unclaimed_and_external_process_checks() -> None:
    run = ConformanceRun(default_manifest("http://127.0.0.1:9", []))
    ctx_check = checks_for("SCOPE-CTX-01")[0]
    assert (
        run.why_not(ctx_check) == "not-claimed: the manifest does not claim add-application-scopes"
    )
    claimed = ConformanceRun(default_manifest("http://127.0.0.1:9", ["add-application-scopes"]))
    assert claimed.why_not(ctx_check) == "skip: needs managed mode"
    assert claimed.why_not(checks_for("SCOPE-DI-02")[0]) is None


def test_context_urls_need_managed_mode_for_port_placeholders() -> None:
    ctx = CheckContext(
        manifest=default_manifest("http://127.0.0.1:9"), base_url="http://127.0.0.1:9"
    )
    assert ctx.url("{base_url}/x/") == "http://127.0.0.1:9/x"
    with pytest.raises(CheckSkipped, match="needs managed mode"):
        ctx.url("http://127.0.0.1:{port1}")
    with pytest.raises(CheckSkipped, match="needs managed mode"):
        ctx.process()
    with pytest.raises(CheckSkipped, match="needs add-error-handling"):
        CheckContext(manifest=default_manifest("http://x", []), base_url="http://x").require_claim(
            "add-error-handling"
        )


@pytest.fixture
def scratch_registry() -> Iterator[list[str]]:
    added: list[str] = []
    yield added
    for name in added:
        registry._CHECKS.pop(name, None)


def test_registration_rules(scratch_registry: list[str]) -> None:
    with pytest.raises(RegistryError, match="at least one requirement id"):
        check()
    with pytest.raises(CatalogError, match="unknown requirement id 'NOPE-X-01'"):
        check("NOPE-X-01")(lambda ctx: None)

    def spanning(ctx: CheckContext) -> None:
        return None

    error_id = next(r.id for r in load_catalog() if r.proposal == "add-error-handling")
    with pytest.raises(RegistryError, match="spans proposals"):
        check("SCOPE-DI-01", error_id)(spanning)

    def scratch_check(ctx: CheckContext) -> None:
        return None

    check("SCOPE-DI-01")(scratch_check)
    scratch_registry.append("test_runner.scratch_check")
    assert any(c.name == "test_runner.scratch_check" for c in all_checks())
    check("SCOPE-DI-01")(scratch_check)  # its module imported again: replaces, not doubles
    assert [c.name for c in all_checks()].count("test_runner.scratch_check") == 1

    def other() -> None:
        return None

    other.__name__ = "scratch_check"  # another function claiming the same name
    with pytest.raises(RegistryError, match="registered twice"):
        check("SCOPE-DI-01")(other)  # type: ignore[arg-type]


def test_every_check_names_catalogued_http_or_process_requirements() -> None:
    catalog = load_catalog()
    for c in all_checks():
        for rid in c.requirement_ids:
            assert catalog.get(rid).checkable, f"{c.name} decides {rid}, which is not http/process"


# Proposals whose checks arrive with their own issue; the list may only shrink.
PENDING = {
    "add-error-handling",
    "add-api-versioning",
    "add-health-observability",
    "enhance-throttler",
    "add-oauth-providers",
    "improve-test-coverage",
}


def test_every_http_or_process_requirement_has_a_check() -> None:
    decided = {rid for c in all_checks() for rid in c.requirement_ids}
    missing = [
        r.id
        for r in load_catalog()
        if r.checkable and r.proposal not in PENDING and r.id not in decided
    ]
    assert not missing, f"requirements without a check: {missing}"


def test_check_failed_is_an_assertion() -> None:
    assert issubclass(CheckFailed, AssertionError)


ECHO_ARG_TARGET = """
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

port, oauth = int(sys.argv[1]), sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(oauth.encode())

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def test_managed_target_gets_a_running_oauth_mock(tmp_path: Path) -> None:
    script = tmp_path / "target.py"
    script.write_text(ECHO_ARG_TARGET)
    manifest = parse_manifest(
        {"target": {"start": f"{{python}} {script} {{port}} {{oauth_mock_url}}", "ready_path": "/"}}
    )
    with ConformanceRun(manifest) as run:
        ctx = run.context()
        assert ctx.oauth_mock_url is not None
        assert httpx.get(run.base_url).text == ctx.oauth_mock_url  # the target got the URL
        discovery = httpx.get(f"{ctx.oauth_mock_url}/google/.well-known/openid-configuration")
        assert discovery.json()["issuer"] == f"{ctx.oauth_mock_url}/google"
        mock = run.oauth_mock
    assert mock is not None
    assert mock.instances[0].returncode is not None  # stopped with the run
