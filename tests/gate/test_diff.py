"""Changed-lines coverage against a git base, in temporary repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiconform.gate.diff import changed_lines, parse_diff
from apiconform.gate.errors import GateInputError
from tests.gate.conftest import GateRunner, git, write

BASE_MODULE = "".join(f"line{n} = {n}\n" for n in range(1, 21))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose ``feature`` branch edits and adds lines of ``src/mod.py``."""
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path / "src" / "mod.py", BASE_MODULE)
    write(tmp_path / "README.md", "hello\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    lines = BASE_MODULE.splitlines(keepends=True)
    lines[4] = "line5 = 'changed'\n"  # line 5 modified
    lines[9:9] = ["new_a = 1\n", "new_b = 2\n", "new_c = 3\n"]  # lines 10-12 added
    write(tmp_path / "src" / "mod.py", "".join(lines))
    write(tmp_path / "src" / "new.py", "x = 1\ny = 2\n")
    write(tmp_path / "README.md", "hello, changed\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "feature")
    # main moves on after the branch: its change must not count as the branch's.
    git(tmp_path, "checkout", "-q", "main")
    write(tmp_path / "src" / "other.py", "z = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "main moves on")
    git(tmp_path, "checkout", "-q", "feature")
    return tmp_path


def lcov(path: str, hits: dict[int, int]) -> str:
    body = "".join(f"DA:{n},{h}\n" for n, h in sorted(hits.items()))
    return f"SF:{path}\n{body}end_of_record\n"


def test_only_lines_added_or_modified_since_the_merge_base_count(repo: Path) -> None:
    diff = changed_lines("main", repo)
    assert diff.base == "main"
    assert dict(diff.lines) == {
        "src/mod.py": {5, 10, 11, 12},
        "src/new.py": {1, 2},
        "README.md": {1},
    }


def test_uncommitted_edits_count_against_head(repo: Path) -> None:
    (repo / "src" / "new.py").write_text("x = 1\ny = 20\nw = 3\n")
    assert dict(changed_lines("HEAD", repo).lines) == {"src/new.py": {2, 3}}


def test_added_lines_that_look_like_diff_headers_are_lines_not_files(repo: Path) -> None:
    # An added "++ x" shows as "+++ x" and a removed "-- y" as "--- y" inside a hunk: they
    # are content, and the lines after them still belong to src/mod.py.
    write(repo / "src" / "mod.py", "-- y\n" + BASE_MODULE)
    git(repo, "commit", "-q", "-am", "a line that looks like a header")
    lines = BASE_MODULE.splitlines(keepends=True)
    lines[2:2] = ["++ x\n", "+++ b/fake.py\n", "@@ -1 +1,99 @@\n"]
    lines.append("last = 1\n")
    write(repo / "src" / "mod.py", "".join(lines))
    write(repo / "src" / "new.py", "x = 1\ny = 2\nz = 3\n")
    assert dict(changed_lines("HEAD", repo).lines) == {
        "src/mod.py": {3, 4, 5, 24},
        "src/new.py": {3},
    }


def test_names_git_quotes_keep_their_unicode_and_escaped_characters(repo: Path) -> None:
    # A quote, a backslash or a tab makes git quote the name; with core.quotePath=false
    # the UTF-8 inside the quotes stays raw ("\\"" + "é€" + "\\t" ...).
    name = 'q"é€ \\ tab\tx.py'
    write(repo / "src" / name, "a = 1\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "odd name")
    write(repo / "src" / name, "a = 1\nb = 2\n")
    assert dict(changed_lines("HEAD", repo).lines) == {f"src/{name}": {2}}


def test_paths_are_relative_to_a_root_below_the_repository(repo: Path) -> None:
    assert set(changed_lines("main", repo / "src").lines) == {"mod.py", "new.py"}


def test_changed_lines_gate_lists_uncovered_lines_per_file(repo: Path, gate: GateRunner) -> None:
    hits = {n: 1 for n in range(1, 24)} | {11: 0, 12: 0}
    report = write(repo / "lcov.info", lcov("src/mod.py", hits) + lcov("src/new.py", {1: 1, 2: 0}))
    outputs = ["--json", repo / "r.json", "--summary", repo / "s.md"]
    run = gate(report, "--root", repo, "--base", "main", "--changed-only", *outputs)
    assert run.code == 1
    assert "changed lines vs main      2  50.0% < 95" in run.out
    assert "src/mod.py: 2 of 4 changed lines not run: 11-12" in run.out
    assert "src/new.py: 1 of 2 changed lines not run: 2" in run.out
    result = json.loads((repo / "r.json").read_text())
    assert result["scopes"] == []
    assert result["changed"]["files"] == [
        {"path": "src/mod.py", "covered": 2, "total": 4, "uncovered": [11, 12]},
        {"path": "src/new.py", "covered": 1, "total": 2, "uncovered": [2]},
    ]
    assert result["changed"]["lines"]["covered"] == 3
    summary = (repo / "s.md").read_text()
    assert "| scope |" not in summary  # --changed-only: no overall table
    assert "**Changed lines** since `main`: 50.0% (< 95) (3/6) ❌ fail" in summary
    assert "| `src/mod.py` | 4 | 2 | 11-12 |" in summary
    assert "Not met: changed lines." in summary


def test_changed_lines_that_are_not_executable_do_not_count(repo: Path, gate: GateRunner) -> None:
    # The report lists line 5 of src/mod.py only; its other changed lines are not code.
    report = write(repo / "lcov.info", lcov("src/mod.py", {1: 1, 5: 1}))
    run = gate(report, "--root", repo, "--base", "main", "--json", repo / "r.json")
    files = json.loads((repo / "r.json").read_text())["changed"]["files"]
    assert files == [{"path": "src/mod.py", "covered": 1, "total": 1, "uncovered": []}]
    assert run.code == 0, run.out


def test_changed_lines_that_are_covered_pass(repo: Path, gate: GateRunner) -> None:
    hits = {n: 1 for n in range(1, 24)}
    report = write(repo / "lcov.info", lcov("src/mod.py", hits) + lcov("src/new.py", {1: 1, 2: 1}))
    run = gate(report, "--root", repo, "--base", "main", "--changed-only")
    assert run.code == 0, run.out
    assert "changed lines vs main      2  100.0% >= 95" in run.out


def test_excluded_and_unreported_changes_do_not_count(repo: Path, gate: GateRunner) -> None:
    policy = write(repo / "p.toml", 'exclude = ["src/new.py"]\n')
    report = write(
        repo / "lcov.info",
        lcov("src/mod.py", {5: 1, 10: 1, 11: 1, 12: 1}) + lcov("src/new.py", {1: 0}),
    )
    run = gate(report, "--root", repo, "--base", "main", "--changed-only", "--policy", policy)
    assert run.code == 0, run.out
    assert "src/new.py" not in run.out.split("changed lines vs main")[1]


def test_with_no_executable_changed_line_the_changed_check_is_na(
    repo: Path, gate: GateRunner
) -> None:
    # src/new.py is listed without executable lines (like an empty __init__.py).
    report = write(repo / "lcov.info", lcov("src/new.py", {}) + lcov("lib/x.py", {1: 1}))
    run = gate(report, "--root", repo, "--base", "main", "--summary", repo / "s.md")
    assert run.code == 0, run.out
    assert "changed lines vs main      0  n/a" in run.out
    summary = (repo / "s.md").read_text()
    assert "**Changed lines** since `main`: n/a ✅ pass\n\nReports:" in summary


def test_a_bad_base_is_one_line_and_exit_2(repo: Path, gate: GateRunner) -> None:
    report = write(repo / "lcov.info", lcov("src/mod.py", {1: 1}))
    run = gate(report, "--root", repo, "--base", "origin/mian")
    assert run.code == 2
    assert run.err == "apiconform: error: --base origin/mian: fatal: bad revision 'origin/mian'\n"


def test_a_base_that_looks_like_an_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GateInputError, match="cannot start with '-'"):
        changed_lines("--output=/tmp/x", tmp_path)


def test_outside_a_repository_the_base_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(GateInputError, match=r"^--base main: fatal: not a git repository"):
        changed_lines("main", tmp_path)


def test_without_git_the_base_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GateInputError, match=r"^--base main: git is not installed$"):
        changed_lines("main", tmp_path)


def test_parse_diff_handles_deletions_renames_binaries_and_quoted_names() -> None:
    text = "\n".join(
        [
            "diff --git a/gone.py b/gone.py",
            "deleted file mode 100644",
            "--- a/gone.py",
            "+++ /dev/null",
            "@@ -1,3 +0,0 @@",
            "diff --git a/old.py b/new.py",
            "similarity index 90%",
            "rename from old.py",
            "rename to new.py",
            "--- a/old.py",
            "+++ b/new.py",
            "@@ -4 +4 @@",
            "@@ -9,0 +10,2 @@",
            "@@ -20,2 +22,0 @@",
            "@@ not a hunk header",
            "diff --git a/img.png b/img.png",
            "Binary files a/img.png and b/img.png differ",
            'diff --git "a/sp\\"ace \\303\\251.py" "b/sp\\"ace \\303\\251.py"',
            '--- "a/sp\\"ace \\303\\251.py"',
            '+++ "b/sp\\"ace \\303\\251.py"',
            "@@ -1 +1,3 @@",
        ]
    )
    assert parse_diff(text) == {"new.py": {4, 10, 11}, 'sp"ace é.py': {1, 2, 3}}


def test_parse_diff_reads_raw_utf8_and_every_c_escape_in_quoted_names() -> None:
    text = "\n".join(
        [
            'diff --git "a/x" "b/x"',
            '--- "a/\\a\\b\\t\\n\\v\\f\\r\\"\\\\€\\342\\202\\254.py"',
            '+++ "b/\\a\\b\\t\\n\\v\\f\\r\\"\\\\€\\342\\202\\254.py"',
            "@@ -0,0 +1 @@",
            'diff --git "a/y" "b/y"',
            '--- "a/bad \\377 byte.py"',
            '+++ "b/bad \\377 byte.py"',
            "@@ -0,0 +1 @@",
        ]
    )
    assert parse_diff(text) == {
        '\a\b\t\n\v\f\r"\\€€.py': {1},
        "bad \ufffd byte.py": {1},
    }
