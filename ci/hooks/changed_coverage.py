#!/usr/bin/env python3
"""pre-commit hook: run the tests of the changed Python files with coverage, then gate the
changed lines (``apiconform gate --changed-only``).

Tests are found by mirroring, as this project lays them out: ``apiconform/gate/cli.py`` is
tested by ``tests/gate/test_cli.py``. A changed source file without such a module brings in
its package's test folder (``tests/gate/``), or the whole test folder as a last resort;
changed test modules always run. A failure lists each file's changed lines that no test ran,
so the author sees where tests are missing.

Exit status: the tests' when they fail, else the gate's (0 pass, 1 not met, 2 bad input);
2 with one line on stderr when git is missing or ``--base`` is unusable (a bad revision, or
one starting with ``-``, which git would take for an option).

Usage (from the repository root):
    python ci/hooks/changed_coverage.py --source apiconform --tests tests \
        --policy coverage-policy.toml [--base HEAD]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath


class HookError(Exception):
    """The hook cannot run: one line on stderr, exit status 2."""


def changed_files(base: str) -> list[str]:
    """Python files added, copied, modified or renamed since ``base`` (with the worktree)."""
    git = shutil.which("git")
    if git is None:
        raise HookError("git is not on PATH")
    # The base goes to git as an argument: one starting with "-" would be read as an option.
    if base.startswith("-"):
        raise HookError(f"--base {base}: a revision cannot start with '-'")
    try:
        done = subprocess.run(
            [git, "diff", "--name-only", "--diff-filter=ACMR", "--merge-base", base, "--", "*.py"],
            capture_output=True,
            text=True,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        reason = (exc.stderr.strip().splitlines() or [f"git exited {exc.returncode}"])[0]
        raise HookError(f"--base {base}: {reason}") from None
    return [line for line in done.stdout.splitlines() if line]


def tests_for(path: str, sources: list[str], tests: str) -> list[str]:
    """The test modules or folders to run for one changed file."""
    posix = PurePosixPath(path)
    if posix.parts[0] == tests:
        return [path] if posix.name.startswith("test_") else []
    if posix.parts[0] not in sources:
        return []
    inner = PurePosixPath(tests, *posix.parts[1:-1])
    for candidate in (inner / f"test_{posix.name}", inner):
        if Path(candidate).exists():
            return [str(candidate)]
    return [tests]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run the tests of the changed Python files, then gate the changed lines."
    )
    parser.add_argument("--source", action="append", required=True, help="package folder")
    parser.add_argument("--tests", default="tests", help="test folder (default: tests)")
    parser.add_argument("--policy", default=None, help="gate policy file or preset")
    parser.add_argument("--base", default="HEAD", help="git base (default: HEAD)")
    parser.add_argument("--report", default="build/pre-commit/coverage.xml")
    args = parser.parse_args(argv)

    try:
        changed = changed_files(args.base)
    except HookError as exc:
        print(f"changed-lines coverage: {exc}", file=sys.stderr)
        return 2
    selected = sorted({t for path in changed for t in tests_for(path, args.source, args.tests)})
    if not selected:
        print("changed-lines coverage: no changed Python source or test, nothing to check")
        return 0
    print(f"changed-lines coverage: running {' '.join(selected)}")
    # The project's own pytest options may write the CI reports or enforce the overall
    # fail_under; a subset of the tests must do neither.
    pytest = [
        sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
        *(f"--cov={s}" for s in args.source), "--cov-branch", "--cov-fail-under=0",
        f"--cov-report=xml:{args.report}", *selected,
    ]  # fmt: skip
    env = {**os.environ, "COVERAGE_FILE": str(Path(args.report).with_name(".coverage"))}
    tests_run = subprocess.run(pytest, env=env, check=False)
    if tests_run.returncode not in (0, 5):
        return tests_run.returncode
    gate = [
        sys.executable, "-m", "apiconform.cli", "gate", args.report,
        "--base", args.base, "--changed-only",
        *(["--policy", args.policy] if args.policy else []),
    ]  # fmt: skip
    return subprocess.run(gate, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
