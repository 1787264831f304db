"""Report paths normalised against the root, and the policy's globs."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.gate.globs import PathMatcher, translate
from apiconform.gate.paths import PathMapper, to_posix
from apiconform.gate.readers import read_report


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("packages/vault/**", "packages/vault/lib/a.ts", True),
        ("packages/vault/**", "packages/vaults/a.ts", False),
        ("packages/vault/**", "other/packages/vault/a.ts", False),
        ("*.spec.ts", "packages/a/lib/x.spec.ts", True),
        ("*.spec.ts", "x.spec.ts", True),
        ("*.spec.ts", "x.spec.tsx", False),
        ("**/dist/**", "dist/index.js", True),
        ("**/dist/**", "packages/http/dist/index.js", True),
        ("**/.generated/**", "packages/core/.generated/a/b.ts", True),
        ("dist/", "packages/http/dist/index.js", True),
        ("/tests/**", "tests/a/b.py", True),
        ("tests/**", "src/tests/a.py", False),
        ("src/*.py", "src/a/b.py", False),
        ("src/?.py", "src/a.py", True),
        ("src/?.py", "src/ab.py", False),
        ("[ab].py", "x/a.py", True),
        ("[!ab].py", "x/c.py", True),
        ("[!ab].py", "x/a.py", False),
        ("[a-c].py", "b.py", True),
        ("a[.py", "a[.py", True),
        ("**", "any/thing.py", True),
        ("src\\lib\\**", "src/lib/x.ts", True),
    ],
)
def test_globs_follow_gitignore_rules(pattern: str, path: str, matches: bool) -> None:
    assert PathMatcher([pattern])(path) is matches


@pytest.mark.parametrize(
    ("patterns", "path", "matches"),
    [
        (["packages/http/*", "x.py"], "packages/http/sub/deep.ts", False),
        (["packages/http/*", "x.py"], "packages/http/a.ts", True),
        (["packages/http/*", "x.py"], "lib/x.py", True),
        (["*.spec.ts", "*.test.ts"], "src/Button.spec.tsx", False),
        (["*.spec.ts", "*.test.ts"], "src/Button.spec.ts", True),
        (["src/a.py", "src/b.py"], "src/a.py.bak", False),
        (["src/a.py", "src/b.py"], "src/b.py", True),
    ],
)
def test_every_glob_of_a_list_matches_whole_paths(
    patterns: list[str], path: str, matches: bool
) -> None:
    assert PathMatcher(patterns)(path) is matches


def test_an_empty_matcher_matches_nothing() -> None:
    assert PathMatcher([])("a.py") is False


@pytest.mark.parametrize("pattern", ["", "/", "  "])
def test_an_empty_glob_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="empty glob"):
        translate(pattern)


def test_windows_report_paths_become_posix() -> None:
    assert to_posix("src\\lib\\.\\a.ts") == "src/lib/a.ts"
    assert to_posix("C:\\work\\proj\\a.ts") == "C:/work/proj/a.ts"
    assert to_posix("//server/share/a.ts") == "//server/share/a.ts"
    assert to_posix(" ") == ""


def test_paths_are_made_relative_to_the_root(tmp_path: Path) -> None:
    mapper = PathMapper(tmp_path)
    assert mapper.file(f"{tmp_path}/src/a.ts") == "src/a.ts"
    assert mapper.file("./src/../lib/b.ts") == "lib/b.ts"
    assert mapper.file("src/a.ts", bases=[str(tmp_path)]) == "src/a.ts"
    assert mapper.relative(str(tmp_path)) == ""


def test_windows_drive_paths_compare_without_case() -> None:
    mapper = PathMapper(Path("/unused"))
    mapper._root = "C:/Work/Proj"
    assert mapper.relative("c:/work/proj/src/a.ts") == "src/a.ts"
    assert mapper.relative("D:/work/proj/src/a.ts") is None


def test_a_path_outside_the_root_is_matched_by_its_existing_tail(tmp_path: Path) -> None:
    (tmp_path / "apiconform").mkdir()
    (tmp_path / "apiconform" / "cli.py").write_text("")
    mapper = PathMapper(tmp_path)
    assert mapper.file("/ci/runner/proj/apiconform/cli.py") == "apiconform/cli.py"
    assert mapper.file("cli.py", bases=["/ci/runner/proj/apiconform"]) == "apiconform/cli.py"
    # Nothing like it here: an absolute name stays as it is, globs will not match it.
    assert mapper.file("/elsewhere/x/y.py") == "/elsewhere/x/y.py"


@pytest.mark.parametrize(
    ("raw", "under_root"),
    [
        ("src/" + "a" * 300 + ".ts", True),
        ("/ci/runner/src/" + "b" * 300 + ".ts", False),
        ("src/nul\x00byte.ts", True),
    ],
    ids=["long-under-a-source", "long-absolute", "nul"],
)
def test_a_name_the_file_system_cannot_hold_is_kept_not_an_error(
    tmp_path: Path, raw: str, under_root: bool
) -> None:
    # A file name component over 255 bytes makes stat() fail with ENAMETOOLONG: such a
    # file cannot exist here, so the name is kept as the report gives it.
    (tmp_path / "src").mkdir()
    mapper = PathMapper(tmp_path)
    if under_root:
        assert mapper.file(raw, bases=[str(tmp_path)]) == to_posix(raw)
    else:
        assert mapper.file(raw) == raw


def test_an_lcov_record_with_an_overlong_name_is_read(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    name = "src/" + "c" * 300 + ".ts"
    report = tmp_path / "lcov.info"
    report.write_text(f"SF:{name}\nDA:1,1\nend_of_record\nSF:/x/{name}\nDA:2,0\nend_of_record\n")
    files = read_report(report, PathMapper(tmp_path)).files
    assert set(files) == {name, f"/x/{name}"}
