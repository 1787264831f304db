from __future__ import annotations

import time
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
from apiconform.conformance.target import TargetError
from apiconform.conformance.watchdog import TargetUnresponsive, Watchdog, describe
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
    assert scopes.not_checkable == {"library": 17}


def test_outcomes_become_verdicts() -> None:
    manifest = default_manifest("http://127.0.0.1:9", ["add-application-scopes"])
    run = ConformanceRun(manifest, proposals=["add-application-scopes"], timeout=2)

    def passes(ctx: CheckContext) -> None:
        return None

    def fails(ctx: CheckContext) -> None:
        expect(False, "SCOPE-DI-02.shared-within", "broken")

    def skips(ctx: CheckContext) -> None:
        raise CheckSkipped("no probe")

    def half(ctx: CheckContext) -> None:
        ctx.unchecked("the other half needs two apps")

    def unanswered(ctx: CheckContext) -> None:
        ctx.client().get("/x")  # nothing listens on port 9

    def buggy(ctx: CheckContext) -> None:
        {}["missing"]

    run.run_check(fake("SCOPE-DI-01", passes))
    run.run_check(fake("SCOPE-DI-01", skips))
    run.run_check(fake("SCOPE-DI-02", fails))
    run.run_check(fake("SCOPE-DI-02", passes))
    run.run_check(fake("SCOPE-DI-03", skips))
    outcome = run.run_check(fake("SCOPE-ISO-01", unanswered))
    run.run_check(fake("SCOPE-CFG-01", half))
    error = run.run_check(fake("SCOPE-ISO-03", buggy))
    run.run_check(fake("SCOPE-ISO-03", passes))
    results = {r.id: r for r in run.report().results}
    assert results["SCOPE-DI-01"].verdict is Verdict.PASS
    assert results["SCOPE-DI-01"].reason == "fake.SCOPE-DI-01: no probe"
    failed = results["SCOPE-DI-02"]
    assert (failed.verdict, failed.reason) == (Verdict.FAIL, "broken")
    assert failed.assertion == "SCOPE-DI-02.shared-within"
    assert (results["SCOPE-DI-03"].verdict, results["SCOPE-DI-03"].reason) == (
        Verdict.SKIP,
        "no probe",
    )
    assert outcome.verdict is Verdict.FAIL
    assert outcome.assertion == "transport.answered"
    assert outcome.message.startswith("cannot connect for GET http://127.0.0.1:9/x")
    assert outcome.evidence[0]["response"]["error"].startswith("ConnectError")
    assert results["SCOPE-CFG-01"].verdict is Verdict.SKIP
    assert results["SCOPE-CFG-01"].reason == (
        "partly checked (the rest held): the other half needs two apps"
    )
    # a check that breaks is an error, even where another check of it passed
    assert error.verdict is Verdict.ERROR
    assert error.message.startswith("the check itself broke at test_runner.py:")
    assert "KeyError: 'missing'" in error.message
    assert results["SCOPE-ISO-03"].verdict is Verdict.ERROR
    assert (results["SCOPE-ISO-02"].verdict, results["SCOPE-ISO-02"].reason) == (
        Verdict.SKIP,
        "no check ran",
    )
    report = run.report()
    assert not report.passed
    assert [r.id for r in report.errors] == ["SCOPE-ISO-03"]
    assert report.coverage_line == f"checked 3 of {len(report.results)} claimed requirements"


def test_a_target_that_stops_answering_ends_the_run() -> None:
    manifest = default_manifest("http://127.0.0.1:9", ["add-application-scopes"])
    run = ConformanceRun(manifest, proposals=["add-application-scopes"], timeout=1)

    def asks_twice(ctx: CheckContext) -> None:
        client = ctx.client()
        for _ in range(2):
            with pytest.raises(httpx.ConnectError):
                client.get("/x")

    run.run_check(fake("SCOPE-DI-01", asks_twice))
    assert run.watchdog.consecutive == 2
    with pytest.raises(TargetUnresponsive, match="3 requests in a row failed, the last: cannot"):
        run.run_check(fake("SCOPE-DI-02", lambda ctx: ctx.client().get("/y")))


def test_an_answer_resets_the_watchdog() -> None:
    watchdog = Watchdog(timeout=1, limit=2)
    request = httpx.Request("GET", "http://t/x")
    watchdog.failed(httpx.ReadTimeout("slow", request=request), "GET", "http://t/x")
    watchdog.answered()
    watchdog.failed(httpx.ReadTimeout("slow", request=request), "GET", "http://t/x")
    with pytest.raises(TargetUnresponsive, match="no answer within 1 s to GET http://t/x"):
        watchdog.failed(httpx.ReadTimeout("slow", request=request), "GET", "http://t/x")
    assert describe(httpx.RemoteProtocolError("eof", request=request), "GET", "u", 1) == (
        "GET u failed: RemoteProtocolError: eof"
    )


def test_an_external_target_that_does_not_answer_fails_the_start_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(TargetError, match=r"the target does not answer: cannot connect for GET"):
        ConformanceRun(default_manifest("http://127.0.0.1:9"), timeout=30).start()
    assert time.monotonic() - started < 6


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


def test_an_absent_probe_skips_with_its_name() -> None:
    manifest = parse_manifest(
        {
            "target": {"base_url": "http://x"},
            "scopes": {"request_ids": False},
            "errors": {
                "create": False,
                "triggers": {"not-found": "/x"},
                "filters": {"route": False},
            },
        }
    )
    ctx = CheckContext(manifest=manifest, base_url="http://x")
    assert ctx.probe("errors.triggers.not-found") == "/x"
    assert ctx.probe("scopes.whoami") == "/scopes/whoami"
    for field in (
        "scopes.request_ids",
        "errors.create",
        "errors.triggers.bad-request",
        "errors.filters.route",
        "errors.webhook_path",
        "scopes.startup.port_conflict",
    ):
        assert not ctx.has(field)
        with pytest.raises(CheckSkipped) as info:
            ctx.probe(field)
        assert str(info.value) == f"the target declares no {field}"


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
    registered = next(c for c in all_checks() if c.name == "test_runner.scratch_check")
    assert registered.test_id == "SCOPE-DI-01:test_runner.scratch_check"

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
