"""Cobertura: istanbul's and coverage.py's flavours, path roots, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import Counts
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers import read_report
from apiconform.gate.readers.cobertura import CoberturaReader
from tests.gate.conftest import FIXTURES

ISTANBUL_XML = FIXTURES / "vitest" / "cobertura-coverage.xml"
VITEST_LCOV = FIXTURES / "vitest" / "lcov.info"
COVERAGEPY_XML = FIXTURES / "coveragepy" / "ci-runner.xml"


def read_text(text: str, root: Path = Path("/project")) -> dict[str, object]:
    reader = CoberturaReader()
    return dict(reader.read("c.xml", Path("c.xml"), text.encode(), PathMapper(root)))


def xml_error(text: str) -> str:
    with pytest.raises(GateInputError) as caught:
        read_text(text)
    return str(caught.value)


def test_istanbul_cobertura_matches_the_lcov_of_the_same_run() -> None:
    mapper = PathMapper(Path("/project"))
    xml = read_report(ISTANBUL_XML, mapper).files
    lcov = read_report(VITEST_LCOV, mapper).files
    assert set(xml) == set(lcov)
    for path, item in xml.items():
        assert item.lines == lcov[path].lines, path
        assert item.branch_counts == lcov[path].branch_counts, path
        assert item.functions == lcov[path].functions, path


def test_method_lines_are_not_counted_as_file_lines() -> None:
    text = """<coverage><sources><source>/p</source></sources><packages><package><classes>
    <class name="a.ts" filename="src/a.ts"><methods>
      <method name="f" hits="0" signature="()V"><lines><line number="7" hits="0"/></lines></method>
    </methods><lines><line number="1" hits="1" branch="false"/></lines></class>
    </classes></package></packages></coverage>"""
    item = read_text(text)["src/a.ts"]
    assert item.lines == {1: 1}  # type: ignore[attr-defined]
    assert item.functions == {"7:f": 0}  # type: ignore[attr-defined]


def test_coveragepy_xml_from_another_machine_is_rerooted_by_existing_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "calc.py").write_text("")
    (tmp_path / "pkg" / "__init__.py").write_text("")
    files = read_report(COVERAGEPY_XML, PathMapper(tmp_path)).files
    assert set(files) == {"pkg/calc.py", "pkg/__init__.py"}
    assert files["pkg/calc.py"].line_counts == Counts(11, 13)
    assert files["pkg/calc.py"].branch_counts == Counts(3, 4)


def test_a_foreign_source_without_local_files_keeps_the_name_relative_to_it() -> None:
    files = read_report(ISTANBUL_XML, PathMapper(Path("/project"))).files
    assert "packages/vault/lib/vault.service.ts" in files


def test_with_several_sources_the_one_holding_the_file_wins(tmp_path: Path) -> None:
    (tmp_path / "lib" / "b").mkdir(parents=True)
    (tmp_path / "lib" / "b" / "x.py").write_text("")
    text = f"""<coverage><sources><source>{tmp_path}/src</source><source>{tmp_path}/lib</source>
    </sources><packages><package><classes><class filename="b/x.py"><lines>
    <line number="1" hits="1"/></lines></class></classes></package></packages></coverage>"""
    assert list(read_text(text, tmp_path)) == ["lib/b/x.py"]


def test_one_file_in_several_classes_is_merged() -> None:
    text = """<coverage><packages><package><classes>
    <class filename="A.cs"><lines><line number="1" hits="0"/><line number="2" hits="1"/>
    </lines></class>
    <class filename="A.cs"><lines><line number="1" hits="3"/><line number="9" hits="0"/>
    </lines></class>
    </classes></package></packages></coverage>"""
    assert read_text(text)["A.cs"].lines == {1: 3, 2: 1, 9: 0}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "<coverage>\n<packages>\n<class filename='a'>\n</coverage>",
            "c.xml:4: invalid XML: mismatched tag",
        ),
        ("<report>\n</report>", "c.xml:1: root element is <report>, not Cobertura's <coverage>"),
        (
            '<!DOCTYPE c [<!ENTITY a "aaaa">]>\n<coverage/>',
            "c.xml:1: entity declaration 'a' refused in a coverage report",
        ),
        ("<coverage>\n<line number='1' hits='1'/></coverage>", "c.xml:2: <line> outside <class>"),
        ("<coverage>\n<method name='f' hits='1'/></coverage>", "c.xml:2: <method> outside <class>"),
        ("<coverage><class>\n</class></coverage>", "c.xml:1: <class> without filename="),
        (
            "<coverage><class filename='a'>\n<line number='1'/></class></coverage>",
            "c.xml:2: <line> without hits=",
        ),
        (
            "<coverage><class filename='a'>\n<line number='x' hits='1'/></class></coverage>",
            "c.xml:2: <line number='x'>: expected a whole number",
        ),
        (
            "<coverage><class filename='a'>\n<line number='3' hits='1' branch='true'/>"
            "</class></coverage>",
            "c.xml:2: <line number=3> branch without condition-coverage (n/m)",
        ),
        (
            "<coverage><class filename='a'>\n<line number='3' hits='1' branch='true' "
            "condition-coverage='100% (3/2)'/></class></coverage>",
            "c.xml:2: <line number=3> covers 3 of 2 branches",
        ),
        (
            "<coverage>\n<packages/>\n</coverage>",
            "c.xml: no <class> element: an empty Cobertura report",
        ),
        (
            '<?xml version="1.0" ?>\n<coverage lines-valid="3" lines-covered="1">\n'
            '<class filename="a"><lines><line number="1" hits="1"/><line number="2" hits="0"/>'
            "</lines></class></coverage>",
            'c.xml:2: <coverage lines-valid="3"> does not match the 2 counted '
            "in its <line> elements",
        ),
        (
            '<coverage branches-valid="2" branches-covered="2">\n<class filename="a"><lines>'
            '<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)"/>'
            "</lines></class></coverage>",
            'c.xml:1: <coverage branches-covered="2"> does not match the 1 counted '
            "in its <line> elements",
        ),
    ],
)
def test_corrupt_cobertura_is_one_line_naming_file_and_line(text: str, message: str) -> None:
    assert xml_error(text) == message


def test_one_file_counted_with_different_branch_totals_is_bad_input() -> None:
    text = """<coverage><packages><package><classes>
    <class filename="A.cs"><lines>
    <line number="4" hits="1" branch="true" condition-coverage="50% (1/2)"/></lines></class>
    <class filename="A.cs"><lines>
    <line number="4" hits="1" branch="true" condition-coverage="25% (1/4)"/></lines></class>
    </classes></package></packages></coverage>"""
    assert xml_error(text) == ("c.xml:4: A.cs: line 4 has 4 branch outcomes here but 2 before")


def test_claims_are_not_checked_when_lines_repeat() -> None:
    # Two <line> elements for one line: the claim counts the line once, the elements twice.
    text = """<coverage lines-valid="1" lines-covered="1"><class filename="a"><lines>
    <line number="1" hits="1"/><line number="1" hits="2"/></lines></class></coverage>"""
    assert read_text(text)["a"].line_counts == Counts(1, 1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("attribute", "outcomes"),
    [
        (' missing-branches="9,exit"', {"#0": 1, "#->9": 0, "#->exit": 0}),
        ("", {"#0": 1, "#1": 0, "#2": 0}),  # istanbul writes none: counts only
        (' missing-branches="9"', {"#0": 1, "#1": 0, "#2": 0}),  # too few: counts only
        (' missing-branches="9,9"', {"#0": 1, "#1": 0, "#2": 0}),  # repeated: counts only
    ],
)
def test_missing_branches_name_the_outcomes_not_taken_when_they_add_up(
    attribute: str, outcomes: dict[str, int]
) -> None:
    text = f"""<coverage><class filename="a.py"><lines>
    <line number="4" hits="1" branch="true" condition-coverage="33% (1/3)"{attribute}/>
    </lines></class></coverage>"""
    assert read_text(text)["a.py"].branches == {4: outcomes}  # type: ignore[attr-defined]
