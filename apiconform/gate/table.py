"""The plain-text table ``apiconform gate`` prints: one row per scope, then the changed
files with their uncovered lines, then the verdict. ASCII only, for any CI console."""

from __future__ import annotations

from apiconform.gate.result import (
    GateResult,
    MetricResult,
    ScopeResult,
    Status,
    line_ranges,
    metric_cell,
)

_RESULT: dict[Status, str] = {
    "pass": "pass",
    "fail": "FAIL",
    "n/a": "pass",
    "info": "pass",
    "no files": "no files",
}


def cell(metric: MetricResult) -> str:
    """``96.3% >= 95``, ``80.0% < 85``, ``n/a`` or a bare percentage (no threshold)."""
    return metric_cell(metric, "{shown} {sign} {threshold}", ">=", "<")


def _scope_row(scope: ScopeResult) -> list[str]:
    if scope.status == "no files":
        cells = ["-"] * len(scope.metrics)
    else:
        cells = [cell(m) for m in scope.metrics]
    return [scope.name, str(scope.files), *cells, _RESULT[scope.status]]


def render_table(result: GateResult) -> str:
    """The whole console output."""
    sources = ", ".join(f"{r.source} ({r.format}, {r.files} files)" for r in result.reports)
    out = [f"coverage gate: {sources}; policy {result.policy}", ""]
    rows = [["scope", "files", "lines", "branches", "functions", "result"]]
    rows += [_scope_row(s) for s in result.scopes]
    changed = result.changed
    if changed is not None:
        rows.append(
            [
                f"changed lines vs {changed.base}",
                str(len(changed.files)),
                cell(changed.lines),
                "",
                "",
                _RESULT[changed.status],
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        left = row[0].ljust(widths[0])
        rest = [
            c.rjust(w) if i == 0 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row[1:], widths[1:], strict=True))
        ]
        out.append("  ".join([left, *rest]).rstrip())
    if changed is not None:
        for f in changed.files:
            if f.uncovered:
                missed = f"{f.total - f.covered} of {f.total}"
                out.append(
                    f"  {f.path}: {missed} changed lines not run: {line_ranges(f.uncovered)}"
                )
    out.append("")
    if result.passed:
        out.append("coverage gate: pass")
    else:
        failures = result.failures
        out.append(f"coverage gate: FAIL ({len(failures)} not met: {', '.join(failures)})")
    return "\n".join(out) + "\n"
