"""LCOV: vitest/istanbul's lcov.info, records of other producers, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import Counts
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers import read_report
from apiconform.gate.readers.lcov import LcovReader
from tests.gate.conftest import FIXTURES

VITEST_LCOV = FIXTURES / "vitest" / "lcov.info"


def read_text(text: str, root: Path = Path("/project")) -> dict[str, object]:
    files = LcovReader().read("t.info", Path("t.info"), text.encode(), PathMapper(root))
    return dict(files)


def lcov_error(text: str) -> str:
    with pytest.raises(GateInputError) as caught:
        read_text(text)
    return str(caught.value)


def test_vitest_lcov_gives_per_file_lines_branches_and_functions() -> None:
    report = read_report(VITEST_LCOV, PathMapper(Path("/project")))
    assert report.format == "lcov"
    vault = report.files["packages/vault/lib/vault.service.ts"]
    assert vault.line_counts == Counts(44, 45)
    assert vault.branch_counts == Counts(12, 12)
    assert vault.function_counts == Counts(8, 8)
    generated = report.files["packages/core/lib/.generated/contracts.ts"]
    assert generated.line_counts == Counts(3, 24)
    assert generated.function_counts == Counts(1, 6)


def test_istanbul_absolute_sf_paths_under_the_root_become_relative(tmp_path: Path) -> None:
    text = f"TN:\nSF:{tmp_path}/src/a.ts\nDA:1,1\nDA:2,0\nLF:2\nLH:1\nend_of_record\n"
    files = read_text(text, tmp_path)
    assert list(files) == ["src/a.ts"]


def test_coveragepy_style_branch_names_and_unreached_blocks() -> None:
    text = (
        "SF:pkg/a.py\nDA:1,1\nDA:2,0\n"
        "BRDA:1,0,jump to line 2,1\nBRDA:1,0,return from function 'f, g',-\n"
        "BRF:2\nBRH:1\nend_of_record\n"
    )
    item = read_text(text)["pkg/a.py"]
    assert item.branches == {  # type: ignore[attr-defined]
        1: {"0,jump to line 2": 1, "0,return from function 'f, g'": 0}
    }


def test_functions_with_the_same_name_get_their_hits_in_declaration_order() -> None:
    text = (
        "SF:a.ts\nFN:3,constructor\nFN:9,constructor\nFNDA:4,constructor\nFNDA:0,constructor\n"
        "FNF:2\nFNH:1\nDA:3,4\nDA:9,0\nend_of_record\n"
    )
    assert read_text(text)["a.ts"].functions == {  # type: ignore[attr-defined]
        "3:constructor": 4,
        "9:constructor": 0,
    }


def test_lcov2_function_records_with_end_lines_and_aliases() -> None:
    text = (
        "SF:a.c\nFN:1,4,main\nFNDA:1,main\n"
        "FNL:0,10,12\nFNA:0,0,alias_one\nFNA:0,3,alias_two\nFNF:2\nFNH:2\n"
        "DA:1,1\nend_of_record\n"
    )
    assert read_text(text)["a.c"].function_counts == Counts(2, 2)  # type: ignore[attr-defined]


def test_records_of_other_tools_are_skipped() -> None:
    files = read_text("VER:2.0\nSF:a.c\nLN:12\nXYZ:whatever\nDA:1,1\nend_of_record\n")
    assert files["a.c"].lines == {1: 1}  # type: ignore[attr-defined]


def test_a_report_without_function_records_has_functions_na() -> None:
    files = read_text("SF:a.c\nDA:1,1\nend_of_record\n")
    assert files["a.c"].function_counts is None  # type: ignore[attr-defined]


def test_records_of_one_file_in_two_sections_merge_with_max_hits() -> None:
    text = (
        "TN:unit\nSF:a.ts\nDA:1,0\nDA:2,3\nBRDA:2,0,0,0\nBRDA:2,0,1,1\nend_of_record\n"
        "TN:e2e\nSF:a.ts\nDA:1,2\nDA:2,1\nDA:5,0\nBRDA:2,0,0,4\nBRDA:2,0,1,0\nend_of_record\n"
    )
    item = read_text(text)["a.ts"]
    assert item.lines == {1: 2, 2: 3, 5: 0}  # type: ignore[attr-defined]
    assert item.branch_counts == Counts(2, 2)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TN:\nDA:1,1\n", "t.info:2: DA record before SF"),
        ("SF:a\nDA:1\nend_of_record\n", "t.info:2: malformed DA record: '1'"),
        ("SF:a\nDA:x,1\nend_of_record\n", "t.info:2: malformed DA record: 'x,1'"),
        ("SF:a\nBRDA:1,0,1\nend_of_record\n", "t.info:2: malformed BRDA record: '1,0,1'"),
        ("SF:a\nDA:1,1\n", "t.info:2: record of a not closed by end_of_record"),
        ("SF:a\nSF:b\n", "t.info:2: SF before end_of_record of a"),
        ("SF:\n", "t.info:1: SF without a file name"),
        ("end_of_record\n", "t.info:1: end_of_record without SF"),
        ("SF:a\nthis is not lcov\n", "t.info:2: not an LCOV record: 'this is not lcov'"),
        ("SF:a\nLF:two\n", "t.info:2: LF: expected a count, got 'two'"),
        ("SF:a\nFNDA:1,f\n", "t.info:2: FNDA for 'f', which no FN record declares"),
        ("SF:a\nFNA:0,1,f\n", "t.info:2: FNA for function index 0, which no FNL declares"),
        ("TN:\n\n", "t.info: no SF record: an empty LCOV report"),
        (
            "SF:src/a.ts\nDA:1,1\nDA:2,0\nLF:3\nLH:1\nend_of_record\n",
            "t.info:4: LF:3 does not match the 2 counted in the records of src/a.ts",
        ),
        (
            "SF:a\nDA:1,1\nBRDA:1,0,0,1\nBRDA:1,0,1,0\nBRF:2\nBRH:2\nend_of_record\n",
            "t.info:6: BRH:2 does not match the 1 counted in the records of a",
        ),
        (
            "SF:a\nFN:1,f\nFNDA:0,f\nFNF:1\nFNH:1\nend_of_record\n",
            "t.info:5: FNH:1 does not match the 0 counted in the records of a",
        ),
    ],
)
def test_corrupt_lcov_is_one_line_naming_file_and_line(text: str, message: str) -> None:
    assert lcov_error(text) == message


def test_truncated_vitest_lcov_names_its_last_line(tmp_path: Path) -> None:
    lines = VITEST_LCOV.read_text().splitlines()
    cut = tmp_path / "lcov.info"
    cut.write_text("\n".join(lines[:30]) + "\n")
    with pytest.raises(GateInputError) as caught:
        read_report(cut, PathMapper(tmp_path), source="lcov.info")
    assert str(caught.value) == (
        "lcov.info:30: record of packages/auth/lib/auth.service.ts not closed by end_of_record"
    )
