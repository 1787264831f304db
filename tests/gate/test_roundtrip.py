"""Generated reports written in each text format read back to what was written."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from apiconform.gate.paths import PathMapper
from apiconform.gate.readers import READERS, detect
from tests.gate.writers import SampleFile, write_cobertura, write_coveragepy_json, write_lcov

ROOT = PathMapper(Path("/nonexistent-root"))
segment = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
paths = st.lists(segment, min_size=1, max_size=3).map(lambda parts: "/".join(parts) + ".ts")
hits = st.integers(min_value=0, max_value=50)


@st.composite
def sample_files(draw: st.DrawFn) -> SampleFile:
    lines = draw(st.dictionaries(st.integers(1, 400), hits, min_size=1, max_size=30))
    branch_lines = draw(st.lists(st.sampled_from(sorted(lines)), unique=True, max_size=5))
    branches = {n: draw(st.lists(st.integers(0, 1), min_size=1, max_size=4)) for n in branch_lines}
    names = draw(
        st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), unique=True, max_size=4)
    )
    functions = {(draw(st.integers(1, 400)), name): draw(hits) for name in names}
    return SampleFile(lines, branches, functions)


reports = st.dictionaries(paths, sample_files(), min_size=1, max_size=4)
FAST = settings(max_examples=60, deadline=None)


def read(text: str, expected_format: str) -> dict[str, object]:
    data = text.encode()
    reader = detect("r", data)
    assert reader.name == expected_format
    return dict(reader.read("r", Path("r"), data, ROOT))


@FAST
@given(reports)
def test_lcov_round_trips(files: dict[str, SampleFile]) -> None:
    read_back = read(write_lcov(files), "lcov")
    assert set(read_back) == set(files)
    for path, sample in files.items():
        item = read_back[path]
        assert item.lines == sample.lines  # type: ignore[attr-defined]
        assert [sorted(o.values()) for _, o in sorted(item.branches.items())] == [  # type: ignore[attr-defined]
            sorted(o) for _, o in sorted(sample.branches.items())
        ]
        assert item.functions == {
            f"{line}:{name}": h for (line, name), h in sample.functions.items()
        }  # type: ignore[attr-defined]


@FAST
@given(reports)
def test_cobertura_round_trips(files: dict[str, SampleFile]) -> None:
    read_back = read(write_cobertura(files), "cobertura")
    assert set(read_back) == set(files)
    for path, sample in files.items():
        item = read_back[path]
        assert item.lines == sample.lines  # type: ignore[attr-defined]
        for line, outcomes in sample.branches.items():
            got = item.branches[line].values()  # type: ignore[attr-defined]
            assert (sum(1 for h in got if h), len(got)) == (
                sum(1 for h in outcomes if h),
                len(outcomes),
            )
        assert item.functions is None  # type: ignore[attr-defined]


@FAST
@given(reports)
def test_coveragepy_json_round_trips(files: dict[str, SampleFile]) -> None:
    read_back = read(write_coveragepy_json(files), "coverage.py json")
    for path, sample in files.items():
        item = read_back[path]
        assert {n: h > 0 for n, h in item.lines.items()} == {
            n: h > 0 for n, h in sample.lines.items()
        }  # type: ignore[attr-defined]
        assert item.branch_counts.total == sum(len(o) for o in sample.branches.values())  # type: ignore[attr-defined]
        assert item.function_counts.covered == sum(1 for h in sample.functions.values() if h)  # type: ignore[attr-defined]


def test_every_reader_is_tried() -> None:
    assert [r.name for r in READERS] == [
        "coverage.py data",
        "coverage.py json",
        "cobertura",
        "lcov",
    ]
