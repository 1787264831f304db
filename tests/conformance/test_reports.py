from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from apiconform.conformance.report import ReportError, write_reports
from apiconform.conformance.report.html import render_html
from apiconform.conformance.report.junit import render_junit
from apiconform.conformance.report.markdown import render_markdown
from apiconform.conformance.report.model import CheckOutcome, Report, RequirementResult, Verdict
from apiconform.spec import Requirement

HOSTILE = '<script>alert("x")</script>'


def requirement(
    rid: str, level: str = "MUST", proposal: str = "add-application-scopes"
) -> Requirement:
    return Requirement(
        id=rid,
        proposal=proposal,
        title=f"title of {rid}",
        level=level,
        observed="http",
        spec=f"{proposal}/specs/core/spec.md",
        requirement="Scope Isolation",
        scenario="No cache leakage",
        decision="a recorded decision",
    )


def evidence(body: str) -> list[dict[str, object]]:
    return [
        {
            "request": {"method": "GET", "url": "http://t/x", "headers": {}, "body": ""},
            "response": {
                "status": 500,
                "headers": {},
                "body": body,
                "error": None,
                "elapsed_ms": 1,
            },
        }
    ]


def sample(*, must_fails: bool = True) -> Report:
    failing = CheckOutcome(
        "scopes.cache",
        ("SCOPE-ISO-02",),
        Verdict.FAIL,
        f"leaked {HOSTILE}",
        evidence(HOSTILE),
        12.5,
    )
    results = [
        RequirementResult(
            requirement("SCOPE-ISO-01"),
            Verdict.PASS,
            "",
            [
                CheckOutcome(
                    "scopes.providers", ("SCOPE-ISO-01",), Verdict.PASS, "", evidence("ok"), 3
                )
            ],
        ),
        RequirementResult(
            requirement("SCOPE-ISO-02", "MUST" if must_fails else "SHOULD"),
            Verdict.FAIL,
            f"leaked {HOSTILE}",
            [failing],
        ),
        RequirementResult(requirement("SCOPE-CTX-01"), Verdict.SKIP, "needs managed mode"),
        RequirementResult(
            requirement("ERR-FMT-01", proposal="add-error-handling"),
            Verdict.NOT_CLAIMED,
            "the manifest does not claim add-error-handling",
        ),
    ]
    return Report(
        "http://127.0.0.1:8000",
        "external",
        "2026-11-25T21:00:00+00:00",
        1.5,
        results,
        {"library": 20},
    )


def test_verdict_counts_and_pass_rule() -> None:
    report = sample()
    assert report.counts("add-application-scopes")[Verdict.PASS] == 1
    assert report.counts()[Verdict.NOT_CLAIMED] == 1
    assert [r.id for r in report.must_failures] == ["SCOPE-ISO-02"]
    assert not report.passed
    assert sample(must_fails=False).passed  # a SHOULD failure is reported, not fatal


def test_json_report_has_every_requirement_with_verdict_and_evidence() -> None:
    data = json.loads(json.dumps(sample().to_dict()))
    assert data["passed"] is False
    assert data["summary"]["add-application-scopes"] == {
        "pass": 1,
        "fail": 1,
        "skip": 1,
        "not-claimed": 0,
    }
    failing = next(r for r in data["requirements"] if r["id"] == "SCOPE-ISO-02")
    assert failing["verdict"] == "fail"
    assert failing["level"] == "MUST"
    assert failing["checks"][0]["evidence"][0]["response"]["body"] == HOSTILE
    assert data["not_checkable"] == {"library": 20}


def test_junit_report_maps_verdicts_to_failures_and_skips() -> None:
    root = ET.fromstring(render_junit(sample()))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    scopes = suites["add-application-scopes"]
    assert (scopes.get("tests"), scopes.get("failures"), scopes.get("skipped")) == ("3", "1", "1")
    cases = {c.get("name").split()[0]: c for c in scopes.iter("testcase")}
    failure = cases["SCOPE-ISO-02"].find("failure")
    assert failure is not None
    assert "GET http://t/x -> 500" in (failure.text or "")
    assert cases["SCOPE-CTX-01"].find("skipped") is not None
    assert (
        suites["add-error-handling"]
        .find("testcase/skipped")
        .get("message")
        .startswith("not-claimed")
    )


def test_markdown_summary_table_and_rows() -> None:
    text = render_markdown(sample())
    assert "| add-application-scopes | 1 | 1 | 1 | 0 |" in text
    assert "| **FAIL** | SCOPE-ISO-02 | MUST |" in text
    assert "failed (1 MUST)" in text
    assert "Not checkable over HTTP or on the process: 20 library." in text


def test_html_escapes_everything_from_the_target() -> None:
    page = render_html(sample())
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("<details") == 4
    assert 'id="SCOPE-ISO-02"' in page
    assert "a recorded decision" in page
    assert "<script" not in page.lower().replace("&lt;script", "")


def test_reports_are_written_atomically_in_all_formats(tmp_path: Path) -> None:
    written = write_reports(sample(), tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "conformance.html",
        "conformance.json",
        "conformance.junit.xml",
        "conformance.md",
    ]
    assert json.loads((tmp_path / "out" / "conformance.json").read_text())["target"]
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_report_path_that_is_a_file_is_a_report_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="cannot write reports"):
        write_reports(sample(), blocker)
