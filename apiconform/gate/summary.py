"""The Markdown summary written by ``--summary``: fit for a pull-request comment and for
``$GITHUB_STEP_SUMMARY``. Paths and names are code spans, so ``**`` in a glob is not bold
and ``@cmmv/vault`` does not mention anyone."""

from __future__ import annotations

from apiconform.gate.result import (
    GateResult,
    MetricResult,
    ScopeResult,
    Status,
    line_ranges,
    metric_cell,
)

_MARK: dict[Status, str] = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "n/a": "✅ pass",
    "info": "✅ pass",
    "no files": "⚪ no files",
}


def code(text: str) -> str:
    """``text`` as an inline code span that survives backticks and table pipes."""
    fence = "``" if "`" in text else "`"
    return f"{fence}{text.replace('|', '&#124;')}{fence}"


def cell(metric: MetricResult) -> str:
    """``96.3% (≥ 95)``, ``80.0% (< 85)``, ``n/a`` or a bare percentage (no threshold)."""
    return metric_cell(metric, "{shown} ({sign} {threshold})", "≥", "<")


def _row(scope: ScopeResult) -> str:
    cells = ["-"] * 3 if scope.status == "no files" else [cell(m) for m in scope.metrics]
    name = "**overall**" if scope.kind == "overall" else code(scope.name)
    if scope.kind == "rule" and scope.name not in scope.paths:
        name += " " + ", ".join(code(p) for p in scope.paths)
    return f"| {name} | {scope.files} | {' | '.join(cells)} | {_MARK[scope.status]} |"


def render_summary(result: GateResult) -> str:
    """The Markdown document."""
    verdict = "✅ pass" if result.passed else "❌ fail"
    out = [f"## Coverage gate: {verdict}", ""]
    if result.scopes:
        out += [
            "| scope | files | lines | branches | functions | result |",
            "|---|--:|--:|--:|--:|---|",
            *(_row(s) for s in result.scopes),
            "",
        ]
    changed = result.changed
    if changed is not None:
        lines = changed.lines
        counts = lines.counts
        shown = f" ({counts.covered}/{counts.total})" if counts and counts.total else ""
        out.append(
            f"**Changed lines** since {code(changed.base)}: {cell(lines)}{shown} "
            f"{_MARK[changed.status]}"
        )
        out.append("")
        if changed.files:
            out += [
                "| file | changed lines | covered | not run |",
                "|---|--:|--:|---|",
                *(
                    f"| {code(f.path)} | {f.total} | {f.covered} | {line_ranges(f.uncovered)} |"
                    for f in changed.files
                ),
                "",
            ]
    if not result.passed:
        out += ["Not met: " + ", ".join(result.failures) + ".", ""]
    reports = ", ".join(f"{code(r.source)} ({r.format}, {r.files} files)" for r in result.reports)
    out.append(f"Reports: {reports}; policy {code(result.policy)}.")
    return "\n".join(out) + "\n"
