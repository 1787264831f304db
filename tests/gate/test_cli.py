"""``apiconform gate``: exit statuses, the table, and the badge, summary and JSON files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gate.conftest import FIXTURES, GateRunner, Sample, clean_env, write

VITEST_LCOV = FIXTURES / "vitest" / "lcov.info"
ISTANBUL_XML = FIXTURES / "vitest" / "cobertura-coverage.xml"


def test_vitest_report_passes_the_cmmv_preset(gate: GateRunner, tmp_path: Path) -> None:
    outputs = [
        "--badge",
        tmp_path / "b.svg",
        "--summary",
        tmp_path / "s.md",
        "--json",
        tmp_path / "r.json",
    ]
    run = gate(VITEST_LCOV, "--policy", "cmmv", "--root", tmp_path, *outputs)
    assert run.code == 0, run.out
    assert run.err == ""
    assert "overall               8  95.9% >= 95  92.4% >= 85  98.4% >= 95  pass" in run.out
    assert "@cmmv/throttler       1  93.9% >= 90  90.0%        100.0%       pass" in run.out
    assert "@cmmv/keyv            0  -            -            -            no files" in run.out
    assert run.out.endswith("coverage gate: pass\n")
    assert 'fill="#4c1"' in (tmp_path / "b.svg").read_text()
    assert ">95.9%</text>" in (tmp_path / "b.svg").read_text()
    summary = (tmp_path / "s.md").read_text()
    assert summary.startswith("## Coverage gate: ✅ pass\n")
    assert (
        "| `@cmmv/vault` `packages/vault/**` | 1 | 97.7% (≥ 95) | 100.0% | 100.0% | ✅ pass |"
        in summary
    )
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["schema"] == "apiconform.gate/1"
    assert (result["passed"], result["exit_code"], result["failures"]) == (True, 0, [])
    assert result["reports"] == [{"path": str(VITEST_LCOV), "format": "lcov", "files": 9}]
    overall = result["scopes"][0]["metrics"]["lines"]
    assert (overall["covered"], overall["total"], overall["display"]) == (357, 372, "95.9%")
    assert result["badge"] == {
        "metric": "lines",
        "percent": overall["percent"],
        "text": "95.9%",
        "color": "#4c1",
    }


def test_the_cobertura_of_the_same_run_gives_the_same_verdict(
    gate: GateRunner, tmp_path: Path
) -> None:
    lcov = gate(VITEST_LCOV, "--policy", "cmmv", "--root", tmp_path)
    xml = gate(ISTANBUL_XML, "--policy", "cmmv", "--root", tmp_path)
    assert xml.code == lcov.code == 0
    assert xml.out.splitlines()[1:] == lcov.out.splitlines()[1:]


def test_without_the_presets_exclusions_the_generated_code_fails_the_gate(
    gate: GateRunner, tmp_path: Path
) -> None:
    run = gate(
        VITEST_LCOV,
        "--root",
        tmp_path,
        "--summary",
        tmp_path / "s.md",
        "--badge",
        tmp_path / "b.svg",
    )
    assert run.code == 1
    assert "overall      9  90.9% < 95  88.6% >= 85  91.5% < 95  FAIL" in run.out
    assert run.out.endswith("coverage gate: FAIL (2 not met: overall lines, overall functions)\n")
    summary = (tmp_path / "s.md").read_text()
    assert summary.startswith("## Coverage gate: ❌ fail\n")
    assert "Not met: overall lines, overall functions." in summary
    assert 'fill="#4c1"' in (tmp_path / "b.svg").read_text()  # 90.9% is still green


def test_a_rule_below_its_threshold_fails_and_is_named(gate: GateRunner, tmp_path: Path) -> None:
    policy = write(
        tmp_path / "p.toml",
        """\
        [overall]
        lines = 50
        branches = 50
        functions = 50
        [[rules]]
        name = "generated"
        paths = ["**/.generated/**"]
        lines = 20
        functions = 20
    """,
    )
    run = gate(VITEST_LCOV, "--policy", policy, "--root", tmp_path, "--json", tmp_path / "r.json")
    assert run.code == 1
    assert re.search(r"\ngenerated +1  12\.5% < 20 +0\.0% +16\.6% < 20 +FAIL\n", run.out)
    failures = json.loads((tmp_path / "r.json").read_text())["failures"]
    assert failures == ["generated lines", "generated functions"]


def test_a_python_report_has_functions_na_and_is_not_failed_for_it(
    gate: GateRunner, sample: Sample
) -> None:
    policy = write(sample.root / "p.toml", "[overall]\nlines = 80\nbranches = 75\n")
    run = gate(sample.xml, "--policy", policy, "--root", sample.root)
    assert run.code == 0, run.out
    assert "overall      2  84.6% >= 80  75.0% >= 75  n/a        pass" in run.out


def test_several_reports_merge_per_file(gate: GateRunner, tmp_path: Path) -> None:
    unit = write(tmp_path / "unit.info", "SF:a.ts\nDA:1,1\nDA:2,0\nend_of_record\n")
    e2e = write(
        tmp_path / "e2e.info",
        "SF:a.ts\nDA:2,4\nDA:3,0\nend_of_record\nSF:b.ts\nDA:1,1\nend_of_record\n",
    )
    policy = write(tmp_path / "p.toml", "[overall]\nlines = 75\n")
    run = gate(unit, e2e, "--policy", policy, "--root", tmp_path)
    assert run.code == 0, run.out
    assert "overall      2  75.0% >= 75" in run.out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "r.txt: empty file"),
        (
            b"hello world\n",
            "r.txt:1: not a coverage report this gate reads (LCOV, Cobertura XML, "
            "coverage.py JSON or a coverage.py data file)",
        ),
        (b"SF:a\nDA:1,1\n\xff\n", "r.txt:3: not UTF-8 text"),
        (b"TN:\nDA:1,1\n", "r.txt:2: DA record before SF"),
    ],
)
def test_bad_reports_exit_2_with_one_line(
    gate: GateRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.txt").write_bytes(content)
    run = gate("r.txt", "--badge", "b.svg")
    assert (run.code, run.out, run.err) == (2, "", f"apiconform: error: {message}\n")
    assert not (tmp_path / "b.svg").exists()


def test_a_missing_report_exits_2(
    gate: GateRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = gate("nope.info")
    assert (run.code, run.err) == (
        2,
        "apiconform: error: nope.info: cannot read: No such file or directory\n",
    )


def test_a_policy_excluding_everything_exits_2(gate: GateRunner, tmp_path: Path) -> None:
    policy = write(tmp_path / "p.toml", 'exclude = ["**"]\n')
    run = gate(VITEST_LCOV, "--policy", policy)
    assert run.code == 2
    assert (
        run.err
        == f"apiconform: error: {VITEST_LCOV}: every file in the report is excluded by the policy\n"
    )


def test_a_bad_policy_exits_2_naming_file_and_field(gate: GateRunner, tmp_path: Path) -> None:
    policy = write(tmp_path / "p.toml", "[changed]\nlines = -1\n")
    run = gate(VITEST_LCOV, "--policy", policy)
    assert run.code == 2
    assert run.err == (
        f"apiconform: error: {policy}: invalid policy: changed.lines: "
        "Input should be greater than or equal to 0\n"
    )


@pytest.mark.parametrize(
    ("policy_text", "field"),
    [
        ('exclude = ["[z-a].py"]\n', "exclude"),
        ('[[rules]]\npaths = ["src/**", "lib/[9-0]*"]\nlines = 5\n', "rules.0.paths"),
    ],
)
def test_a_glob_that_does_not_compile_exits_2_naming_it(
    gate: GateRunner, tmp_path: Path, policy_text: str, field: str
) -> None:
    policy = write(tmp_path / "p.toml", policy_text)
    run = gate(VITEST_LCOV, "--policy", policy, "--root", tmp_path)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith(f"apiconform: error: {policy}: invalid policy: {field}: ")
    assert "bad glob" in run.err
    assert run.err.count("\n") == 1


def test_changed_only_needs_a_base(gate: GateRunner) -> None:
    run = gate(VITEST_LCOV, "--changed-only")
    assert run.code == 2
    assert "--changed-only needs --base REV" in run.err


def test_an_unwritable_output_exits_2(gate: GateRunner, tmp_path: Path) -> None:
    blocker = write(tmp_path / "file", "")
    run = gate(VITEST_LCOV, "--policy", "cmmv", "--json", blocker / "r.json")
    assert run.code == 2
    assert run.err.startswith(f"apiconform: error: {blocker / 'r.json'}: cannot write: ")


def test_help_lists_every_option(gate: GateRunner) -> None:
    run = gate("--help")
    assert run.code == 0
    for option in (
        "--policy",
        "--base",
        "--changed-only",
        "--root",
        "--badge",
        "--summary",
        "--json",
    ):
        assert option in run.out
    assert "cmmv" in run.out


def test_the_installed_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_text("<coverage>\n<class filename='a'>\n")
    done = subprocess.run(
        [sys.executable, "-m", "apiconform.cli", "gate", "r.xml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_env(),
    )
    assert done.returncode == 2
    assert done.stderr == "apiconform: error: r.xml:3: invalid XML: no element found\n"
