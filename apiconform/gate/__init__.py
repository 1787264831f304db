"""A coverage gate for any project's CI: coverage.py (JSON, data file, XML), Cobertura and
LCOV reports (vitest, jest, istanbul), checked against overall, per-path and changed-lines
thresholds, with a badge, a Markdown summary and a JSON result.

The command is ``apiconform gate`` (:mod:`apiconform.gate.cli`); the same steps are
available as functions::

    mapper = PathMapper(Path("."))
    reports = read_reports([Path("coverage/lcov.info")], mapper)
    result = evaluate(reports, merge_reports(reports), load_policy("cmmv"))
    result.exit_code  # 0 pass, 1 a threshold not met
"""

from __future__ import annotations

from apiconform.gate.diff import Diff, changed_lines
from apiconform.gate.errors import GateError, GateInputError
from apiconform.gate.evaluate import evaluate
from apiconform.gate.model import Counts, CoverageReport, FileCoverage
from apiconform.gate.paths import PathMapper
from apiconform.gate.policy import Policy, load_policy
from apiconform.gate.readers import merge_reports, read_report, read_reports
from apiconform.gate.result import GateResult

__all__ = [
    "Counts",
    "CoverageReport",
    "Diff",
    "FileCoverage",
    "GateError",
    "GateInputError",
    "GateResult",
    "PathMapper",
    "Policy",
    "changed_lines",
    "evaluate",
    "load_policy",
    "merge_reports",
    "read_report",
    "read_reports",
]
