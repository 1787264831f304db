"""From merged coverage and a policy to a :class:`~apiconform.gate.result.GateResult`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from apiconform.gate.diff import Diff
from apiconform.gate.errors import GateInputError
from apiconform.gate.model import Counts, CoverageReport, FileCoverage, sum_counts
from apiconform.gate.policy import METRICS, Badge, Policy, Thresholds
from apiconform.gate.result import (
    BadgeValue,
    ChangedFile,
    ChangedResult,
    GateResult,
    MetricResult,
    ReportInfo,
    ScopeResult,
)

GREEN, YELLOW, RED, GREY = "#4c1", "#dfb317", "#e05d44", "#9f9f9f"


def badge_color(percent: Fraction | None, badge: Badge) -> str:
    """Green at or above ``badge.green`` (90), yellow at or above ``badge.yellow`` (75),
    red below; grey when there is nothing to show. Exact values, no rounding."""
    if percent is None:
        return GREY
    if percent >= Fraction(badge.green):
        return GREEN
    if percent >= Fraction(badge.yellow):
        return YELLOW
    return RED


def measure(files: Sequence[FileCoverage], thresholds: Thresholds) -> tuple[MetricResult, ...]:
    """The three metrics summed over ``files``, each with its threshold."""
    counts = {
        "lines": sum_counts(f.line_counts for f in files),
        "branches": sum_counts(f.branch_counts for f in files),
        "functions": sum_counts(f.function_counts for f in files),
    }
    return tuple(MetricResult(m, counts[m], thresholds.get(m)) for m in METRICS)


def changed_coverage(
    files: Mapping[str, FileCoverage], diff: Diff, policy: Policy
) -> ChangedResult:
    """Coverage of the changed lines that the reports list as executable.

    Changed files that no report lists (docs, excluded tests) do not count: a report
    says nothing about them.
    """
    excluded = policy.excluded()
    rows = []
    for path, lines in sorted(diff.lines.items()):
        item = files.get(path)
        if item is None or excluded(path):
            continue
        executable = sorted(lines & item.lines.keys())
        if not executable:
            continue
        uncovered = tuple(n for n in executable if item.lines[n] == 0)
        rows.append(ChangedFile(path, len(executable) - len(uncovered), len(executable), uncovered))
    total = Counts(sum(r.covered for r in rows), sum(r.total for r in rows))
    return ChangedResult(diff.base, tuple(rows), MetricResult("lines", total, policy.changed.lines))


def evaluate(
    reports: Sequence[CoverageReport],
    files: Mapping[str, FileCoverage],
    policy: Policy,
    *,
    policy_name: str = "default",
    diff: Diff | None = None,
    changed_only: bool = False,
) -> GateResult:
    """Apply ``policy`` to the merged ``files`` of ``reports``.

    ``diff`` (from :func:`apiconform.gate.diff.changed_lines`) adds the changed-lines
    scope; ``changed_only`` leaves out the overall and per-rule scopes, for hooks that
    run only some of the tests.
    """
    excluded = policy.excluded()
    kept = [f for path, f in sorted(files.items()) if not excluded(path)]
    if not kept:
        sources = ", ".join(r.source for r in reports)
        raise GateInputError(sources, "every file in the report is excluded by the policy")
    scopes: list[ScopeResult] = []
    overall = ScopeResult("overall", "overall", (), len(kept), measure(kept, policy.overall))
    if not changed_only:
        scopes.append(overall)
        for rule in policy.rules:
            matches = rule.matcher()
            chosen = [f for f in kept if matches(f.path)]
            scopes.append(
                ScopeResult(
                    "rule", rule.label, tuple(rule.paths), len(chosen), measure(chosen, rule)
                )
            )
    changed = None if diff is None else changed_coverage(files, diff, policy)
    shown = overall.metric(policy.badge.metric).percent
    return GateResult(
        reports=tuple(ReportInfo(r.source, r.format, len(r.files)) for r in reports),
        policy=policy_name,
        scopes=tuple(scopes),
        changed=changed,
        badge=BadgeValue(policy.badge.metric, shown, badge_color(shown, policy.badge)),
    )
