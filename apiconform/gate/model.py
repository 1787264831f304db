"""Coverage of one file, of a report, and the counts and percentages derived from them.

Hits are kept per line, per branch outcome and per function rather than as totals, so
that several reports of the same files merge exactly: the union of lines, outcomes and
functions, with the highest hit count of each.

Branch outcomes merge exactly when both reports name them the same way (LCOV with LCOV,
coverage.py JSON with JSON) or when both are coverage.py Cobertura, whose
``missing-branches`` names the outcomes not taken: a line then covers all but the outcomes
that every report missed. Otherwise -- outcomes only counted (istanbul's Cobertura), or
named differently (coverage.py JSON ``->3`` against its LCOV ``jump to line 3``) -- the
outcomes cannot be lined up and the merge keeps the better count of the two: the total is
exact and the covered count a lower bound (two runs taking opposite halves of an ``if``
show 50%, not 100%).

Percentages are exact fractions (:class:`fractions.Fraction`): thresholds are compared
against the unrounded value, and :func:`format_percent` displays one decimal rounded
*down*, so a displayed figure never claims more than was measured (94.96% shows as 94.9%,
and fails a 95 threshold, as it should).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

#: Prefix of the outcome ids made up for formats that give a branch count per line but
#: do not name the outcomes (Cobertura): ``#0``, ``#1``, ...
COUNTED_OUTCOME = "#"
#: Prefix of a counted line's outcomes known to be missed, named by their destination as
#: coverage.py's Cobertura ``missing-branches`` gives it: ``#->4``, ``#->exit``.
MISSED_OUTCOME = "#->"


def counted_outcomes(
    covered: int, total: int, missed: Sequence[str] | None = None
) -> dict[str, int]:
    """Outcome ids for a line known by its counts: the first ``covered`` are hit.

    ``missed`` names the ``total - covered`` outcomes not taken, when the report says
    which (coverage.py's ``missing-branches``); they are then ids of their own, which lets
    reports that missed different outcomes merge exactly.
    """
    if missed is None:
        return {f"{COUNTED_OUTCOME}{i}": int(i < covered) for i in range(total)}
    return {f"{COUNTED_OUTCOME}{i}": 1 for i in range(covered)} | {
        f"{MISSED_OUTCOME}{name}": 0 for name in missed
    }


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


def _missed(outcomes: Mapping[str, int]) -> set[str] | None:
    """The names of a counted line's missed outcomes; ``None`` unless every outcome is
    counted and every missed one named (``#->4``)."""
    if not all(k.startswith(COUNTED_OUTCOME) for k in outcomes):
        return None
    missed = {k for k, hits in outcomes.items() if hits == 0}
    if not all(k.startswith(MISSED_OUTCOME) for k in missed):
        return None
    return {k.removeprefix(MISSED_OUTCOME) for k in missed}


def _better(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    # The outcomes cannot be lined up: keep the better count (a lower bound).
    return dict(a if _covered(a) >= _covered(b) else b)


def _merge_line_branches(line: int, a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    counted = any(k.startswith(COUNTED_OUTCOME) for k in (*a, *b))
    if counted:
        # Made-up outcome ids only line up when both sides counted the same outcomes.
        if len(a) != len(b):
            raise BranchMismatch(line, len(a), len(b))
        missed_a, missed_b = _missed(a), _missed(b)
        if missed_a is not None and missed_b is not None:
            # An outcome is missed only if every report missed it.
            missed = sorted(missed_a & missed_b)
            return counted_outcomes(len(a) - len(missed), len(a), missed)
        return _max_merge(a, b) if set(a) == set(b) else _better(a, b)
    if a and len(a) == len(b) and a.keys().isdisjoint(b):
        # Named by two tools for one line ("->3" and "0,jump to line 3"), not new outcomes.
        return _better(a, b)
    # Named outcomes (LCOV, coverage.py JSON) are a plain union, like ``coverage combine``.
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
