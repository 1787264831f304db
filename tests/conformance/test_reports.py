from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from apiconform.conformance.report import ReportError, ensure_writable, write_reports
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
        "error": 0,
        "skip": 1,
        "not-claimed": 0,
    }
    assert (data["checked"], data["claimed"]) == (2, 3)
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
    assert "| add-application-scopes | 1 | 1 | 0 | 1 | 0 |" in text
    assert "| **FAIL** | SCOPE-ISO-02 | MUST |" in text
    assert "**failed: 1 MUST requirement(s) failed**" in text
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


def advisory_sample(*, strict: bool = False) -> Report:
    """A MUST failure, a SHOULD failure (an advisory), an error, a skipped MUST and a
    pass, in catalog order."""
    outcome = CheckOutcome(
        "errors.details.x",
        ("SCOPE-ISO-01",),
        Verdict.FAIL,
        "must broke",
        [
            {
                "request": {
                    "method": "GET",
                    "url": "http://t/x",
                    "headers": {"accept": "*/*"},
                    "body": "",
                },
                "response": {
                    "status": 500,
                    "headers": {"content-type": "application/json", "x-evil": HOSTILE},
                    "body": '{"type":"about:blank","status":500}',
                    "error": None,
                    "elapsed_ms": 3,
                },
            }
        ],
        assertion="problem.media-type",
    )
    results = [
        RequirementResult(requirement("SCOPE-TYPE-01"), Verdict.PASS, ""),
        RequirementResult(requirement("SCOPE-ISO-01"), Verdict.FAIL, "must broke", [outcome]),
        RequirementResult(requirement("SCOPE-ISO-02", "SHOULD"), Verdict.FAIL, "should broke"),
        RequirementResult(requirement("SCOPE-ISO-03"), Verdict.ERROR, "the check itself broke"),
        RequirementResult(requirement("SCOPE-CTX-01"), Verdict.SKIP, "needs managed mode"),
    ]
    return Report(
        "http://127.0.0.1:8000",
        "external",
        "2026-11-25T21:00:00+00:00",
        1.5,
        results,
        strict=strict,
        command="python server.py --port 8000",
        manifest={"target": {"base_url": "http://127.0.0.1:8000"}, "errors": {"x": HOSTILE}},
    )


def test_html_shows_failures_first_with_reasons_and_tells_advisories_apart() -> None:
    page = render_html(advisory_sample())
    must = page.index("<h2>MUST failures (1)</h2>")
    advisory = page.index("<h2>SHOULD/MAY advisories (1)</h2>")
    broke = page.index("<h2>Checks that broke (not the target&#x27;s failure) (1)</h2>")
    assert must < advisory < broke < page.index("<h2>Summary</h2>")
    # the reasons are on the page, outside any <details>
    head = page[: page.index("<details")]
    assert "must broke" in head
    assert "should broke" in head
    assert "checked 3 of 5 claimed requirements" in head
    assert "Target <code>python server.py --port 8000</code>" in head
    # in the proposal's list the failures come first, the advisory after the MUST failure
    listed = re.findall(r'<details id="([A-Z0-9-]+)">', page)
    assert listed == [
        "SCOPE-ISO-01",
        "SCOPE-ISO-02",
        "SCOPE-ISO-03",
        "SCOPE-CTX-01",
        "SCOPE-TYPE-01",
    ]
    summary = page[page.index('<details id="SCOPE-ISO-02">') :].split("</summary>")[0]
    assert ">advisory</span>" in summary
    assert ">SHOULD</span>" in summary
    # evidence: headers as a table, the body pretty-printed, everything escaped
    assert "<td><code>content-type</code></td><td><code>application/json</code></td>" in page
    assert '<caption class="meta">response headers</caption>' in page
    assert "{\n  &quot;type&quot;: &quot;about:blank&quot;,\n  &quot;status&quot;: 500\n}" in page
    assert "<code>problem.media-type</code>" in page
    assert HOSTILE not in page
    assert "Manifest (credentials hidden)" in page


def test_strict_reports_unverified_musts_as_failing() -> None:
    lenient, strict = advisory_sample(), advisory_sample(strict=True)
    assert [r.id for r in lenient.fatal] == ["SCOPE-ISO-01"]
    assert lenient.status_line() == "failed: 1 MUST requirement(s) failed"
    assert [r.id for r in strict.fatal] == ["SCOPE-ISO-01", "SCOPE-ISO-03", "SCOPE-CTX-01"]
    assert strict.status_line() == (
        "failed: 1 MUST requirement(s) failed, 2 MUST requirement(s) not verified"
    )
    assert "<h2>MUST requirements not verified (2)</h2>" in render_html(strict)


def test_junit_failures_agree_with_the_exit_status() -> None:
    def cases(report: Report) -> dict[str, ET.Element]:
        root = ET.fromstring(render_junit(report))
        return {c.get("name").split()[0]: c for c in root.iter("testcase")}

    lenient = cases(advisory_sample())
    assert lenient["SCOPE-ISO-01"].find("failure") is not None  # a MUST failure
    assert (
        lenient["SCOPE-ISO-01"]
        .find("failure")
        .text.startswith("errors.details.x: must broke [problem.media-type]")
    )
    advisory = lenient["SCOPE-ISO-02"]
    assert advisory.find("failure") is None  # SHOULD: reported, not a failure
    assert advisory.find("skipped").get("message") == "advisory: SHOULD not met: should broke"
    assert lenient["SCOPE-ISO-03"].find("skipped").get("message").startswith("error: ")
    assert lenient["SCOPE-CTX-01"].find("skipped") is not None
    suite = ET.fromstring(render_junit(advisory_sample())).find("testsuite")
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "0", "3")
    strict = cases(advisory_sample(strict=True))
    assert strict["SCOPE-ISO-03"].find("error") is not None
    assert strict["SCOPE-CTX-01"].find("failure").get("message").startswith("not verified")
    assert strict["SCOPE-ISO-02"].find("failure") is None


def test_markdown_labels_advisories() -> None:
    text = render_markdown(advisory_sample())
    assert "| advisory | SCOPE-ISO-02 | SHOULD |" in text
    assert "| **FAIL** | SCOPE-ISO-01 | MUST |" in text
    assert "| error | SCOPE-ISO-03 | MUST |" in text
    assert "checked 3 of 5 claimed requirements" in text
    assert "Target `python server.py --port 8000`" in text


def test_an_unwritable_report_folder_is_refused(tmp_path: Path) -> None:
    ensure_writable(tmp_path / "new" / "folder")
    assert (tmp_path / "new" / "folder").is_dir()
    assert not list((tmp_path / "new" / "folder").iterdir())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="cannot write reports"):
        ensure_writable(blocker / "sub")
