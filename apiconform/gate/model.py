"""Coverage of one file, of a report, and the counts and percentages derived from them.

Hits are kept per line, per branch outcome and per function rather than as totals, so
that several reports of the same files merge exactly: the union of lines, outcomes and
functions, with the highest hit count of each.

Percentages are exact fractions (:class:`fractions.Fraction`): thresholds are compared
against the unrounded value, and :func:`format_percent` displays one decimal rounded
*down*, so a displayed figure never claims more than was measured (94.96% shows as 94.9%,
and fails a 95 threshold, as it should).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

#: Prefix of the outcome ids made up for formats that give a branch count per line but
#: do not name the outcomes (Cobertura): ``#0``, ``#1``, ...
COUNTED_OUTCOME = "#"


@dataclass(frozen=True)
class Counts:
    """``covered`` out of ``total`` items (lines, branch outcomes or functions)."""

    covered: int
    total: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.covered + other.covered, self.total + other.total)

    @property
    def percent(self) -> Fraction | None:
        """Exact percentage, or ``None`` (n/a) when there is nothing to cover."""
        if self.total == 0:
            return None
        return Fraction(self.covered * 100, self.total)


def format_percent(value: Fraction | None) -> str:
    """``96.3%`` with one decimal, rounded down; ``n/a`` for ``None``."""
    if value is None:
        return "n/a"
    tenths = math.floor(value * 10)
    return f"{tenths // 10}.{tenths % 10}%"


def sum_counts(items: Iterable[Counts | None]) -> Counts | None:
    """Add up counts; ``None`` (the format has no such data) when every item is ``None``."""
    known = [c for c in items if c is not None]
    if not known:
        return None
    total = Counts(0, 0)
    for c in known:
        total = total + c
    return total


@dataclass(frozen=True)
class FileCoverage:
    """What a report says about one source file.

    ``path`` is normalised: ``/``-separated and relative to the gate's root when the file
    lies under it. ``branches`` maps a line to its outcomes (an id per outcome, hits).
    ``functions`` is ``None`` when the format does not record functions (coverage.py XML
    and data files), which is reported as n/a rather than as 0%.
    """

    path: str
    lines: Mapping[int, int]
    branches: Mapping[int, Mapping[str, int]] = field(default_factory=dict)
    functions: Mapping[str, int] | None = None

    @property
    def line_counts(self) -> Counts:
        return Counts(sum(1 for h in self.lines.values() if h > 0), len(self.lines))

    @property
    def branch_counts(self) -> Counts:
        outcomes = [h for line in self.branches.values() for h in line.values()]
        return Counts(sum(1 for h in outcomes if h > 0), len(outcomes))

    @property
    def function_counts(self) -> Counts | None:
        if self.functions is None:
            return None
        return Counts(sum(1 for h in self.functions.values() if h > 0), len(self.functions))


class BranchMismatch(ValueError):
    """Two reports disagree on how many branch outcomes a line has."""

    def __init__(self, line: int, ours: int, theirs: int) -> None:
        super().__init__(f"line {line} has {theirs} branch outcomes here but {ours} before")
        self.line = line


def _max_merge(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    merged = dict(a)
    for key, hits in b.items():
        merged[key] = max(hits, merged.get(key, 0))
    return merged


def _covered(outcomes: Mapping[str, int]) -> int:
    return sum(1 for h in outcomes.values() if h > 0)


def _merge_line_branches(line: int, a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    counted = any(k.startswith(COUNTED_OUTCOME) for k in (*a, *b))
    # Made-up outcome ids only line up when both sides counted the same outcomes; named
    # outcomes (LCOV, coverage.py JSON) are a plain union, like ``coverage combine``.
    if counted and len(a) != len(b):
        raise BranchMismatch(line, len(a), len(b))
    if counted and set(a) != set(b):
        # One side named its outcomes, the other only counted them: keep the better count.
        return dict(a if _covered(a) >= _covered(b) else b)
    return _max_merge(a, b)


def merge_files(a: FileCoverage, b: FileCoverage) -> FileCoverage:
    """Union of two views of the same file, with the highest hits of each item.

    Raises :class:`BranchMismatch` when the branch outcomes cannot be lined up.
    """
    lines = dict(a.lines)
    for number, hits in b.lines.items():
        lines[number] = max(hits, lines.get(number, 0))
    branches: dict[int, Mapping[str, int]] = dict(a.branches)
    for number, outcomes in b.branches.items():
        mine = branches.get(number)
        branches[number] = (
            dict(outcomes) if mine is None else _merge_line_branches(number, mine, outcomes)
        )
    if a.functions is None or b.functions is None:
        functions = a.functions if b.functions is None else b.functions
    else:
        functions = _max_merge(a.functions, b.functions)
    return FileCoverage(a.path, lines, branches, functions)


@dataclass(frozen=True)
class CoverageReport:
    """One report file, read: its files by normalised path."""

    source: str
    format: str
    files: Mapping[str, FileCoverage]
