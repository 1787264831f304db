"""JUnit XML: one test suite per proposal, one test case per requirement, so any CI shows
the run in its test view, agreeing with the exit status: only what fails the run is a
``<failure>`` (a SHOULD/MAY failure is an advisory, reported as skipped)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from apiconform.conformance.report.model import Report, RequirementResult, Verdict


def _details(result: RequirementResult) -> str:
    return "\n".join(
        f"{o.check}: {o.message}"
        + (f" [{o.assertion}]" if o.assertion else "")
        + "".join(
            f"\n  {e['request']['method']} {e['request']['url']} -> "
            f"{e['response']['error'] or e['response']['status']}"
            for e in o.evidence
        )
        for o in result.outcomes
        if o.verdict in (Verdict.FAIL, Verdict.ERROR)
    )


def _mark(case: ET.Element, report: Report, result: RequirementResult) -> str | None:
    """Add the result's element to ``case``; its kind (failure, error, skipped) or None."""
    level = result.requirement.level.value
    if result.verdict is Verdict.FAIL:
        if result.must:
            element = ET.SubElement(case, "failure", message=result.reason)
            element.text = _details(result)
            return "failure"
        ET.SubElement(case, "skipped", message=f"advisory: {level} not met: {result.reason}")
        return "skipped"
    if result.verdict is Verdict.ERROR:
        if report.strict and result.must:
            element = ET.SubElement(case, "error", message=result.reason)
            element.text = _details(result)
            return "error"
        ET.SubElement(case, "skipped", message=f"error: {result.reason}")
        return "skipped"
    if result.verdict is Verdict.SKIP and report.strict and result.must:
        ET.SubElement(case, "failure", message=f"not verified (--strict): {result.reason}")
        return "failure"
    if result.verdict in (Verdict.SKIP, Verdict.NOT_CLAIMED):
        ET.SubElement(case, "skipped", message=f"{result.verdict.value}: {result.reason}")
        return "skipped"
    return None


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="apiconform conformance", time=f"{report.duration_s}")
    for proposal in report.proposals():
        results = [r for r in report.results if r.requirement.proposal == proposal]
        suite = ET.SubElement(root, "testsuite", name=proposal, tests=str(len(results)))
        kinds = []
        for result in results:
            req = result.requirement
            seconds = sum(o.duration_ms for o in result.outcomes) / 1000
            case = ET.SubElement(
                suite,
                "testcase",
                classname=proposal,
                name=f"{req.id} [{req.level.value}] {req.title}",
                time=f"{seconds:.3f}",
            )
            kinds.append(_mark(case, report, result))
        suite.set("failures", str(kinds.count("failure")))
        suite.set("errors", str(kinds.count("error")))
        suite.set("skipped", str(kinds.count("skipped")))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
