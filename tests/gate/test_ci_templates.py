"""The CI templates and the documentation: what they say runs, runs."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from apiconform.gate.cli import gate as gate_command
from tests.gate.conftest import FIXTURES, REPO, GateRunner, clean_env, git, write

CI = REPO / "ci"
DOCUMENTS = [REPO / "docs" / "gate.md", CI / "README.md", CI / "github" / "coverage.yml"]
GATE_OPTIONS = {opt for p in gate_command.params for opt in p.opts if opt.startswith("--")}


def gate_commands(text: str) -> list[list[str]]:
    """Every ``apiconform gate ...`` command line in ``text``, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [
        shlex.split(m.group(0).split("&&")[0].split("'")[0])
        for m in re.finditer(r"apiconform gate [^\n`|]*", joined)
    ]


def test_the_workflow_runs_the_matrix_the_gate_and_the_conformance_check() -> None:
    workflow = yaml.safe_load((CI / "github" / "coverage.yml").read_text())
    job = workflow["jobs"]["test"]
    assert job["strategy"]["matrix"] == {
        "os": ["ubuntu-latest", "windows-latest", "macos-latest"],
        "python": ["3.11", "3.12", "3.13"],
    }
    steps = {step.get("name", step.get("uses")): step for step in job["steps"]}
    assert steps["actions/checkout@v4"]["with"]["fetch-depth"] == 0
    assert steps["tests with coverage"]["run"] == "python -m pytest"
    gate_run = steps["coverage gate"]["run"]
    for option in ("--badge", "--summary", "--json", "--base", "--policy coverage-policy.toml"):
        assert option in gate_run
    assert "GITHUB_STEP_SUMMARY" in gate_run
    assert steps["conformance of the reference server"]["run"].startswith("apiconform check")
    assert "build/conformance/" in steps["upload reports"]["with"]["path"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_documented_gate_commands_use_real_options(document: Path) -> None:
    commands = gate_commands(document.read_text())
    assert commands, f"no apiconform gate command in {document}"
    for command in commands:
        options = {token.split("=")[0] for token in command if token.startswith("--")}
        assert options <= GATE_OPTIONS, (document.name, command)


def test_the_docs_describe_every_option() -> None:
    text = (REPO / "docs" / "gate.md").read_text()
    for option in GATE_OPTIONS - {"--help"}:
        assert f"`{option}" in text, option


@pytest.mark.parametrize("report", ["lcov.info", "cobertura-coverage.xml"])
def test_the_sample_reports_that_ci_gates_pass_the_cmmv_preset(
    gate: GateRunner, report: str
) -> None:
    run = gate(FIXTURES / "vitest" / report, "--policy", "cmmv")
    assert run.code == 0, run.out


def test_the_pre_commit_hook_calls_the_hook_script_with_the_repo_policy() -> None:
    config = yaml.safe_load((CI / "pre-commit-config.yaml").read_text())
    (hook,) = config["repos"][0]["hooks"]
    assert config["repos"][0]["repo"] == "local"
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["python", "ci/hooks/changed_coverage.py"]
    assert (REPO / entry[1]).is_file()
    assert entry[entry.index("--policy") + 1] == "coverage-policy.toml"
    assert (hook["pass_filenames"], hook["types"]) == (False, ["python"])


def run_hook(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    script = CI / "hooks" / "changed_coverage.py"
    return subprocess.run(
        [sys.executable, str(script), "--source", "pkg", "--tests", "tests", *extra],
        cwd=repo,
        capture_output=True,
        text=True,
        env=clean_env(),
    )


@pytest.fixture
def hook_repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path / "pkg" / "mod.py", "x = 1\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_the_hook_refuses_a_base_that_looks_like_an_option(hook_repo: Path) -> None:
    done = run_hook(hook_repo, f"--base=--output={hook_repo / 'written'}")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"changed-lines coverage: --base --output={hook_repo / 'written'}: "
        "a revision cannot start with '-'\n"
    )
    assert not (hook_repo / "written").exists()  # git never saw it as an option


def test_a_bad_base_is_one_line_from_the_hook_and_exit_2(hook_repo: Path) -> None:
    done = run_hook(hook_repo, "--base", "origin/mian")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("changed-lines coverage: --base origin/mian: fatal: ")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_the_hook_without_git_is_one_line_and_exit_2(hook_repo: Path) -> None:
    script = CI / "hooks" / "changed_coverage.py"
    done = subprocess.run(
        [sys.executable, str(script), "--source", "pkg"],
        cwd=hook_repo,
        capture_output=True,
        text=True,
        env=clean_env(PATH=str(hook_repo / "no-such-bin")),
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "changed-lines coverage: git is not on PATH\n"


def test_the_hook_runs_the_mirrored_tests_and_gates_the_changed_lines(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path / "pkg" / "__init__.py", "")
    write(tmp_path / "pkg" / "mod.py", "def one():\n    return 1\n")
    write(
        tmp_path / "tests" / "test_mod.py",
        """\
        from pkg.mod import one


        def test_one():
            assert one() == 1
    """,
    )
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    assert "nothing to check" in run_hook(tmp_path).stdout

    # A new function without a test: its body is a changed line no test runs.
    (tmp_path / "pkg" / "mod.py").write_text(
        "def one():\n    return 1\n\n\ndef two():\n    return 2\n"
    )
    git(tmp_path, "add", ".")
    failing = run_hook(tmp_path)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "running tests/test_mod.py" in failing.stdout
    assert "pkg/mod.py: 1 of 2 changed lines not run: 6" in failing.stdout

    with (tmp_path / "tests" / "test_mod.py").open("a") as fh:
        fh.write("\n\ndef test_two():\n    from pkg.mod import two\n\n    assert two() == 2\n")
    git(tmp_path, "add", ".")
    passing = run_hook(tmp_path)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "changed lines vs HEAD" in passing.stdout
