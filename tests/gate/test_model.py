"""Counts, percentages, display rounding and merging of reports."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import (
    BranchMismatch,
    Counts,
    CoverageReport,
    FileCoverage,
    format_percent,
    merge_files,
    sum_counts,
)
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers import merge_reports, read_report
from apiconform.gate.readers.cobertura import counted_outcomes
from tests.gate.conftest import Shards


def test_percent_is_exact_and_na_without_items() -> None:
    assert Counts(19, 20).percent == Fraction(95)
    assert Counts(2, 3).percent == Fraction(200, 3)
    assert Counts(0, 0).percent is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(9496, 100), "94.9%"),  # never rounded up past a threshold
        (Fraction(95), "95.0%"),
        (Fraction(100), "100.0%"),
        (Fraction(200, 3), "66.6%"),
        (Fraction(0), "0.0%"),
        (None, "n/a"),
    ],
)
def test_display_has_one_decimal_rounded_down(value: Fraction | None, shown: str) -> None:
    assert format_percent(value) == shown


def test_sum_counts_is_na_only_when_no_item_has_data() -> None:
    assert sum_counts([None, None]) is None
    assert sum_counts([Counts(1, 2), None, Counts(3, 3)]) == Counts(4, 5)


def test_merge_is_a_union_with_the_highest_hits() -> None:
    a = FileCoverage("a.ts", {1: 0, 2: 5}, {2: {"0,0": 1, "0,1": 0}}, {"1:f": 0})
    b = FileCoverage("a.ts", {1: 3, 7: 0}, {2: {"0,0": 0, "0,1": 2}, 7: {"1,0": 0}}, {"9:g": 1})
    merged = merge_files(a, b)
    assert merged.lines == {1: 3, 2: 5, 7: 0}
    assert merged.branches == {2: {"0,0": 1, "0,1": 2}, 7: {"1,0": 0}}
    assert merged.functions == {"1:f": 0, "9:g": 1}


def test_merge_keeps_functions_known_on_either_side() -> None:
    known = FileCoverage("a.py", {1: 1}, functions={"1:f": 1})
    unknown = FileCoverage("a.py", {1: 1})
    assert merge_files(unknown, known).functions == {"1:f": 1}
    assert merge_files(known, unknown).functions == {"1:f": 1}
    assert merge_files(unknown, unknown).functions is None


def test_counted_branches_merge_by_the_best_count() -> None:
    a = FileCoverage("a", {3: 1}, {3: counted_outcomes(1, 4)})
    b = FileCoverage("a", {3: 1}, {3: counted_outcomes(3, 4)})
    assert merge_files(a, b).branch_counts == Counts(3, 4)
    named = FileCoverage("a", {3: 1}, {3: {"0,0": 1, "0,1": 1, "0,2": 0, "0,3": 0}})
    assert merge_files(b, named).branch_counts == Counts(3, 4)
    assert merge_files(named, b).branch_counts == Counts(3, 4)


def test_counted_branches_with_named_misses_merge_exactly() -> None:
    one = FileCoverage("a", {3: 1}, {3: counted_outcomes(2, 4, ["7", "exit"])})
    two = FileCoverage("a", {3: 1}, {3: counted_outcomes(1, 4, ["5", "7", "9"])})
    full = FileCoverage("a", {3: 1}, {3: counted_outcomes(4, 4, [])})
    assert merge_files(one, two).branch_counts == Counts(3, 4)  # only ->7 missed by both
    assert merge_files(one, two).branches == merge_files(two, one).branches
    assert merge_files(one, full).branch_counts == Counts(4, 4)


def test_counted_branches_without_named_misses_keep_a_lower_bound() -> None:
    # istanbul's Cobertura: which outcome ran is unknown, so 1/2 and 1/2 stay 1/2.
    unnamed = FileCoverage("a", {3: 1}, {3: counted_outcomes(1, 2)})
    named = FileCoverage("a", {3: 1}, {3: counted_outcomes(1, 2, ["4"])})
    assert merge_files(unnamed, unnamed).branch_counts == Counts(1, 2)
    assert merge_files(unnamed, named).branch_counts == Counts(1, 2)
    assert merge_files(named, unnamed).branch_counts == Counts(1, 2)


def test_named_outcomes_of_two_tools_for_one_line_are_not_added_up() -> None:
    json_side = FileCoverage("a", {2: 1}, {2: {"->3": 1, "->4": 0}})
    lcov_side = FileCoverage("a", {2: 1}, {2: {"0,jump to line 3": 1, "0,jump to line 4": 1}})
    assert merge_files(json_side, lcov_side).branch_counts == Counts(2, 2)
    assert merge_files(lcov_side, json_side).branch_counts == Counts(2, 2)
    # Different numbers of outcomes are different outcomes: a union, as before.
    more = FileCoverage("a", {2: 1}, {2: {"0,0": 1}})
    assert merge_files(json_side, more).branch_counts == Counts(2, 3)


def test_counted_branches_with_different_totals_cannot_merge() -> None:
    a = FileCoverage("a", {3: 1}, {3: counted_outcomes(1, 2)})
    b = FileCoverage("a", {3: 1}, {3: counted_outcomes(1, 4)})
    with pytest.raises(BranchMismatch, match="line 3 has 4 branch outcomes here but 2 before"):
        merge_files(a, b)


def test_reports_that_disagree_on_branches_are_bad_input() -> None:
    first = CoverageReport(
        "a.xml", "cobertura", {"x.py": FileCoverage("x.py", {3: 1}, {3: counted_outcomes(1, 2)})}
    )
    second = CoverageReport(
        "b.xml", "cobertura", {"x.py": FileCoverage("x.py", {3: 1}, {3: counted_outcomes(0, 3)})}
    )
    with pytest.raises(GateInputError) as caught:
        merge_reports([first, second])
    assert str(caught.value) == (
        "b.xml: x.py line 3: branch outcomes disagree with a.xml (reports of different sources?)"
    )


def test_merging_reports_unions_their_files() -> None:
    a = CoverageReport("a", "lcov", {"x": FileCoverage("x", {1: 0})})
    b = CoverageReport(
        "b", "lcov", {"x": FileCoverage("x", {1: 2}), "y": FileCoverage("y", {4: 1})}
    )
    merged = merge_reports([a, b])
    assert merged["x"].lines == {1: 2}
    assert set(merged) == {"x", "y"}
    assert Path(merged["y"].path) == Path("y")


# shards: one file measured by several runs ---------------------------------------------


def merged_branches(shards: Shards, *reports: tuple[str, str]) -> Counts:
    mapper = PathMapper(shards.root)
    read = [read_report(shards.report(run, fmt), mapper) for run, fmt in reports]
    return merge_reports(read)["pkg/m.py"].branch_counts


@pytest.mark.parametrize("fmt", ["xml", "json", "lcov"])
def test_complementary_shards_in_one_format_merge_to_the_combined_run(
    shards: Shards, fmt: str
) -> None:
    truth = merged_branches(shards, ("both", fmt))
    assert truth == Counts(5, 8)
    assert merged_branches(shards, ("one", fmt)) == Counts(3, 8)
    assert merged_branches(shards, ("two", fmt)) == Counts(2, 8)
    assert merged_branches(shards, ("one", fmt), ("two", fmt)) == truth
    assert merged_branches(shards, ("two", fmt), ("one", fmt)) == truth


def test_coveragepy_xml_shards_line_up_by_their_missing_branches(shards: Shards) -> None:
    mapper = PathMapper(shards.root)
    one, two = (read_report(shards.report(run, "xml"), mapper) for run in ("one", "two"))
    merged = merge_reports([one, two])["pkg/m.py"]
    # if x: taken one way by each run; the for loop's exit and body; 9 misses 8 in both.
    covered = {n: sum(1 for h in o.values() if h) for n, o in merged.branches.items()}
    assert covered == {2: 2, 8: 2, 9: 1, 14: 0}


@pytest.mark.parametrize(
    "pair",
    [(("one", "json"), ("two", "lcov")), (("one", "lcov"), ("two", "xml"))],
    ids=["json+lcov", "lcov+xml"],
)
def test_shards_in_formats_that_name_outcomes_differently_keep_the_true_total(
    shards: Shards, pair: tuple[tuple[str, str], tuple[str, str]]
) -> None:
    # The outcomes cannot be lined up ("->3" against "0,jump to line 3", or a count):
    # the total stays exact and the covered count is a lower bound of the truth.
    merged = merged_branches(shards, *pair)
    assert merged.total == 8
    assert 3 <= merged.covered <= 5
