"""The readers on real reports written by coverage.py in this test run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import Counts
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers import read_report
from tests.gate.conftest import SAMPLE_LINES, SAMPLE_MISSING, Sample, write


@pytest.mark.parametrize(
    ("report", "fmt"),
    [
        ("xml", "cobertura"),
        ("json", "coverage.py json"),
        ("lcov", "lcov"),
        ("data", "coverage.py data"),
    ],
)
def test_every_coveragepy_output_gives_the_same_lines_and_branches(
    sample: Sample, report: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A data file is reported with the coverage config of the current directory.
    monkeypatch.chdir(sample.root)
    read = read_report(getattr(sample, report), PathMapper(sample.root))
    assert read.format == fmt
    assert set(read.files) == {"pkg/__init__.py", "pkg/calc.py"}
    calc = read.files["pkg/calc.py"]
    assert set(calc.lines) == SAMPLE_LINES
    assert {n for n, hits in calc.lines.items() if hits == 0} == SAMPLE_MISSING
    assert calc.branch_counts == Counts(3, 4)
    assert read.files["pkg/__init__.py"].line_counts == Counts(0, 0)


def test_functions_are_read_where_coveragepy_records_them(sample: Sample) -> None:
    mapper = PathMapper(sample.root)
    for report in (sample.json, sample.lcov):
        calc = read_report(report, mapper).files["pkg/calc.py"]
        assert calc.function_counts == Counts(3, 4), report
        assert [k for k, hits in (calc.functions or {}).items() if hits == 0] == ["9:never"]
    # coverage.py's XML always writes an empty <methods/>: no function data, n/a.
    assert read_report(sample.xml, mapper).files["pkg/calc.py"].function_counts is None


def test_json_branches_are_named_arcs(sample: Sample) -> None:
    calc = read_report(sample.json, PathMapper(sample.root)).files["pkg/calc.py"]
    assert calc.branches[4] == {"->5": 0, "->6": 1}


def test_json_without_function_regions_has_functions_na(tmp_path: Path) -> None:
    # coverage.py before 7.5 (JSON format 2) wrote no "functions".
    report = write(
        tmp_path / "old.json",
        '{"meta": {"format": 2}, "files": {"a.py": {"executed_lines": [1], "missing_lines": []}}}',
    )
    assert read_report(report, PathMapper(tmp_path)).files["a.py"].function_counts is None


def test_functions_without_statements_do_not_count(tmp_path: Path) -> None:
    regions = {
        "": {"start_line": 1, "summary": {"num_statements": 2, "covered_lines": 2}},
        "stub": {"start_line": 3, "summary": {"num_statements": 0, "covered_lines": 0}},
        "used": {"start_line": 5, "summary": {"num_statements": 1, "covered_lines": 1}},
    }
    entry = {"executed_lines": [1, 2, 6], "missing_lines": [], "functions": regions}
    report = write(tmp_path / "c.json", json.dumps({"files": {"a.py": entry}}))
    item = read_report(report, PathMapper(tmp_path)).files["a.py"]
    assert item.functions == {"5:used": 1}


def test_a_file_entry_the_text_cannot_locate_is_named_without_a_line(tmp_path: Path) -> None:
    # Written with raw UTF-8 rather than json.dumps's \u escapes: no line to point at.
    report = tmp_path / "c.json"
    report.write_text('{"files": {"é.py": {"executed_lines": [], "missing_lines": 7}}}')
    with pytest.raises(GateInputError) as caught:
        read_report(report, PathMapper(tmp_path), source="c.json")
    assert (
        str(caught.value) == "c.json: files['é.py'].missing_lines: expected a list of line numbers"
    )


def test_absolute_paths_from_a_data_file_become_relative_to_the_root(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample.root / "pkg")
    read = read_report(sample.data, PathMapper(sample.root))
    assert "pkg/calc.py" in read.files


def test_a_data_file_whose_sources_are_gone_is_bad_input(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = tmp_path / "moved.coverage"
    moved.write_bytes(sample.data.read_bytes())
    monkeypatch.chdir(tmp_path)
    mapper = PathMapper(tmp_path)
    # Point the data at files that do not exist: coverage.py cannot report it.
    import sqlite3

    with sqlite3.connect(moved) as db:
        db.execute("UPDATE file SET path = '/nonexistent/' || path")
    with pytest.raises(GateInputError, match=r"^moved.coverage: coverage.py: No source for code"):
        read_report(moved, mapper, source="moved.coverage")


def test_a_corrupt_data_file_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / ".coverage"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00garbage" * 20)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GateInputError, match=r"^\.coverage: coverage\.py: "):
        read_report(broken, PathMapper(tmp_path), source=".coverage")


def test_json_summary_disagreeing_with_its_lines_names_the_entry_line(
    sample: Sample, tmp_path: Path
) -> None:
    document = json.loads(sample.json.read_text())
    document["files"]["pkg/calc.py"]["summary"]["num_statements"] = 12
    report = tmp_path / "c.json"
    report.write_text(json.dumps(document, indent=4))
    line = report.read_text().splitlines().index('        "pkg/calc.py": {') + 1
    with pytest.raises(GateInputError) as caught:
        read_report(report, PathMapper(tmp_path), source="c.json")
    assert str(caught.value) == (
        f"c.json:{line}: files['pkg/calc.py'].summary.num_statements: "
        "12 does not match the 13 listed"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"files": {"a.py": {"executed_lines": [1],\n "missing_lines": ["x"]}}}',
            "c.json:1: files['a.py'].missing_lines: expected a list of line numbers",
        ),
        ('{"files": {"a.py": []}}', "c.json:1: files['a.py']: expected an object"),
        (
            '{"files": {"a.py": {"executed_lines": [], "missing_lines": [],\n'
            ' "executed_branches": [[1]]}}}',
            "c.json:1: files['a.py'].executed_branches: expected a list of [from, to] line pairs",
        ),
        (
            '{"files": {"a.py": {"executed_lines": [], "missing_lines": [], "functions": []}}}',
            "c.json:1: files['a.py'].functions: expected an object",
        ),
        (
            '{"files": {"a.py": {"executed_lines": [], "missing_lines": [],'
            ' "functions": {"f": {"start_line": 1}}}}}',
            "c.json:1: files['a.py'].functions['f']: expected a region with a summary",
        ),
        (
            '{"files": {"a.py": {"executed_lines": [], "missing_lines": [], "functions":'
            ' {"f": {"summary": {"num_statements": 1, "covered_lines": -1}}}}}}',
            "c.json:1: files['a.py'].functions['f']: expected a count of covered lines",
        ),
        ('{"files": {}}', "c.json: no files: an empty coverage.py JSON report"),
        (
            '{"total": {"lines": {"pct": 90}}}',
            'c.json:1: not a coverage.py JSON report (no "files" object); '
            "for istanbul or vitest use the lcov or cobertura reporter",
        ),
        (
            '{"files": {\n  "a.py": {,}}',
            "c.json:2: invalid JSON: Expecting property name enclosed in double quotes",
        ),
    ],
)
def test_malformed_json_is_one_line_naming_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    report = tmp_path / "c.json"
    report.write_text(text)
    with pytest.raises(GateInputError) as caught:
        read_report(report, PathMapper(tmp_path), source="c.json")
    assert str(caught.value) == message
