"""The Markdown summary: a table per proposal, fit for a pull-request comment."""

from __future__ import annotations

from apiconform.conformance.report.model import Report, Verdict

ICONS = {
    Verdict.PASS: "pass",
    Verdict.FAIL: "**FAIL**",
    Verdict.SKIP: "skip",
    Verdict.NOT_CLAIMED: "not claimed",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_rows(report: Report) -> list[tuple[str, int, int, int, int]]:
    """(proposal, passed, failed, skipped, not claimed) per proposal."""
    rows = []
    for proposal in report.proposals():
        c = report.counts(proposal)
        rows.append(
            (proposal, c[Verdict.PASS], c[Verdict.FAIL], c[Verdict.SKIP], c[Verdict.NOT_CLAIMED])
        )
    return rows


def render_markdown(report: Report) -> str:
    status = "passed" if report.passed else f"failed ({len(report.must_failures)} MUST)"
    lines = [
        "# Conformance report",
        "",
        f"Target `{report.target or '-'}` ({report.mode} mode), started {report.started_at}, "
        f"{report.duration_s:g} s: **{status}**.",
        "",
        "| proposal | passed | failed | skipped | not claimed |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {p} | {a} | {b} | {c} | {d} |" for p, a, b, c, d in summary_rows(report)]
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
                    f"| {ICONS[result.verdict]} | {req.id} | {req.level.value} | "
                    f"{_cell(req.title)} | {_cell(result.reason)} |"
                )
    return "\n".join(lines) + "\n"
