"""The gate's verdict: one result per scope (overall, each rule, changed lines), the
badge value, the exit status, and the JSON form written by ``--json``.

A metric passes when its exact percentage is at least the threshold (no rounding before
the comparison). A metric with nothing to measure (0 branches, or a format without
functions) is n/a and never fails; a rule whose globs match no file is "no files" and
never fails either; a metric without a threshold is shown for information.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from apiconform.gate.model import Counts, format_percent
from apiconform.gate.policy import Metric

Status = Literal["pass", "fail", "n/a", "info", "no files"]
JSON_SCHEMA = "apiconform.gate/1"


def format_threshold(value: Decimal) -> str:
    """``95``, ``85.5``: a threshold as written, without trailing zeros."""
    return format(value.normalize(), "f")


def line_ranges(numbers: Iterable[int]) -> str:
    """``3-5, 9``: sorted line numbers with runs folded."""
    spans: list[list[int]] = []
    for n in sorted(set(numbers)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def metric_cell(metric: MetricResult, template: str, met: str, below: str) -> str:
    """A metric as one table cell: its percentage, then -- when its threshold was checked
    -- ``template`` filled with ``shown``, ``sign`` (``met`` or ``below``) and ``threshold``."""
    shown = format_percent(metric.percent)
    if metric.threshold is None or metric.status == "n/a":
        return shown
    sign = met if metric.status == "pass" else below
    return template.format(shown=shown, sign=sign, threshold=format_threshold(metric.threshold))


@dataclass(frozen=True)
class MetricResult:
    """One metric of one scope, with its threshold and verdict."""

    metric: Metric
    counts: Counts | None
    threshold: Decimal | None

    @property
    def percent(self) -> Fraction | None:
        return None if self.counts is None else self.counts.percent

    @property
    def status(self) -> Status:
        percent = self.percent
        if percent is None:
            return "n/a"
        if self.threshold is None:
            return "info"
        return "pass" if percent >= Fraction(self.threshold) else "fail"

    def to_json(self) -> dict[str, Any]:
        percent = self.percent
        return {
            "covered": None if self.counts is None else self.counts.covered,
            "total": None if self.counts is None else self.counts.total,
            "percent": None if percent is None else float(percent),
            "display": format_percent(percent),
            "threshold": None if self.threshold is None else float(self.threshold),
            "status": self.status,
        }


@dataclass(frozen=True)
class ScopeResult:
    """The overall figures or one rule's."""

    kind: Literal["overall", "rule"]
    name: str
    paths: tuple[str, ...]
    files: int
    metrics: tuple[MetricResult, ...]

    @property
    def status(self) -> Status:
        if self.kind == "rule" and self.files == 0:
            return "no files"
        return "fail" if any(m.status == "fail" for m in self.metrics) else "pass"

    def metric(self, name: Metric) -> MetricResult:
        return next(m for m in self.metrics if m.metric == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "paths": list(self.paths),
            "files": self.files,
            "status": self.status,
            "metrics": {m.metric: m.to_json() for m in self.metrics},
        }


@dataclass(frozen=True)
class ChangedFile:
    """Changed executable lines of one file, and those no test ran."""

    path: str
    covered: int
    total: int
    uncovered: tuple[int, ...]


@dataclass(frozen=True)
class ChangedResult:
    """Coverage of the lines added or modified since ``base``."""

    base: str
    files: tuple[ChangedFile, ...]
    lines: MetricResult

    @property
    def status(self) -> Status:
        return "fail" if self.lines.status == "fail" else "pass"

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "status": self.status,
            "lines": self.lines.to_json(),
            "files": [
                {
                    "path": f.path,
                    "covered": f.covered,
                    "total": f.total,
                    "uncovered": list(f.uncovered),
                }
                for f in self.files
            ],
        }


@dataclass(frozen=True)
class BadgeValue:
    """What the badge shows."""

    metric: Metric
    percent: Fraction | None
    color: str

    @property
    def text(self) -> str:
        return format_percent(self.percent)


@dataclass(frozen=True)
class ReportInfo:
    source: str
    format: str
    files: int


@dataclass(frozen=True)
class GateResult:
    """Everything the gate decided; renderers (table, Markdown, JSON, badge) read this."""

    reports: tuple[ReportInfo, ...]
    policy: str
    scopes: tuple[ScopeResult, ...]
    changed: ChangedResult | None
    badge: BadgeValue

    @property
    def failures(self) -> list[str]:
        """One phrase per threshold not met, for the closing line."""
        found = [
            f"{s.name} {m.metric}" for s in self.scopes for m in s.metrics if m.status == "fail"
        ]
        if self.changed is not None and self.changed.status == "fail":
            found.append("changed lines")
        return found

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": JSON_SCHEMA,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "failures": self.failures,
            "policy": self.policy,
            "reports": [
                {"path": r.source, "format": r.format, "files": r.files} for r in self.reports
            ],
            "scopes": [s.to_json() for s in self.scopes],
            "changed": None if self.changed is None else self.changed.to_json(),
            "badge": {
                "metric": self.badge.metric,
                "percent": None if self.badge.percent is None else float(self.badge.percent),
                "text": self.badge.text,
                "color": self.badge.color,
            },
        }
