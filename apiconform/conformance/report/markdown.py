"""The Markdown summary: a table per proposal, fit for a pull-request comment."""

from __future__ import annotations

from apiconform.conformance.report.model import Report, RequirementResult, Verdict

ICONS = {
    Verdict.PASS: "pass",
    Verdict.FAIL: "**FAIL**",
    Verdict.ERROR: "error",
    Verdict.SKIP: "skip",
    Verdict.NOT_CLAIMED: "not claimed",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def label(result: RequirementResult) -> str:
    """The verdict as shown: a SHOULD/MAY failure is an advisory, not a FAIL."""
    return "advisory" if result.advisory else ICONS[result.verdict]


def summary_rows(report: Report) -> list[tuple[str, int, int, int, int, int]]:
    """(proposal, passed, failed, errors, skipped, not claimed) per proposal."""
    rows = []
    for proposal in report.proposals():
        c = report.counts(proposal)
        rows.append(
            (
                proposal,
                c[Verdict.PASS],
                c[Verdict.FAIL],
                c[Verdict.ERROR],
                c[Verdict.SKIP],
                c[Verdict.NOT_CLAIMED],
            )
        )
    return rows


def render_markdown(report: Report) -> str:
    lines = [
        "# Conformance report",
        "",
        f"Target `{report.command or report.target or '-'}` ({report.mode} mode), started "
        f"{report.started_at}, {report.duration_s:g} s: **{report.status_line()}**; "
        f"{report.coverage_line}.",
        "",
        "| proposal | passed | failed | errors | skipped | not claimed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {p} | {a} | {b} | {c} | {d} | {e} |" for p, a, b, c, d, e in summary_rows(report)]
    if report.not_checkable:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(report.not_checkable.items()))
        lines += ["", f"Not checkable over HTTP or on the process: {kinds}."]
    for proposal in report.proposals():
        lines += [
            "",
            f"## {proposal}",
            "",
            "| verdict | id | level | requirement | note |",
            "|---|---|---|---|---|",
        ]
        for result in report.results:
            req = result.requirement
            if req.proposal == proposal:
                lines.append(
                    f"| {label(result)} | {req.id} | {req.level.value} | "
                    f"{_cell(req.title)} | {_cell(result.reason)} |"
                )
    return "\n".join(lines) + "\n"
