"""JUnit XML: one test suite per proposal, one test case per requirement, so any CI shows
the run in its test view."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from apiconform.conformance.report.model import Report, Verdict


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="apiconform conformance", time=f"{report.duration_s}")
    for proposal in report.proposals():
        results = [r for r in report.results if r.requirement.proposal == proposal]
        counts = report.counts(proposal)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=proposal,
            tests=str(len(results)),
            failures=str(counts[Verdict.FAIL]),
            skipped=str(counts[Verdict.SKIP] + counts[Verdict.NOT_CLAIMED]),
            errors="0",
        )
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
            if result.verdict is Verdict.FAIL:
                failure = ET.SubElement(case, "failure", message=result.reason)
                failure.text = "\n".join(
                    f"{o.check}: {o.message}\n"
                    + "\n".join(
                        f"  {e['request']['method']} {e['request']['url']} -> "
                        f"{e['response']['error'] or e['response']['status']}"
                        for e in o.evidence
                    )
                    for o in result.outcomes
                    if o.verdict is Verdict.FAIL
                )
            elif result.verdict in (Verdict.SKIP, Verdict.NOT_CLAIMED):
                ET.SubElement(case, "skipped", message=f"{result.verdict.value}: {result.reason}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
