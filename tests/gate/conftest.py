"""Fixtures of the gate's tests: the shipped sample reports, a real coverage.py run on a
small package, temporary git repositories and a way to run ``apiconform gate``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from apiconform.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parents[2]

#: The sample package measured by coverage.py; its expected results are below.
SAMPLE_CALC = """\
def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0


def never():
    return "unused"


class Box:
    def __init__(self, v):
        self.v = v

    def get(self):
        return self.v if self.v else None
"""
SAMPLE_DRIVER = "from pkg.calc import Box, sign\n\nsign(3)\nsign(0)\nBox(1).get()\n"
SAMPLE_LINES = {1, 2, 3, 4, 5, 6, 9, 10, 13, 14, 15, 17, 18}
SAMPLE_MISSING = {5, 10}


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the outer coverage run's variables (pytest-cov's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE_", "COVERAGE_"))}
    env.update(extra)
    return env


@dataclass(frozen=True)
class Sample:
    """A package measured by coverage.py, with every report format it writes."""

    root: Path
    data: Path
    xml: Path
    json: Path
    lcov: Path


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """Run coverage.py on the sample package once, in a subprocess with its own config."""
    root = tmp_path_factory.mktemp("sample")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "calc.py").write_text(SAMPLE_CALC)
    (root / "drive.py").write_text(SAMPLE_DRIVER)
    rc = root / "coverage.rc"
    rc.write_text("[run]\nbranch = true\nsource = pkg\n")
    env = clean_env(COVERAGE_FILE=str(root / ".coverage"))
    run = [sys.executable, "-m", "coverage"]
    steps = [
        ["run", f"--rcfile={rc}", "drive.py"],
        ["xml", f"--rcfile={rc}", "-o", "coverage.xml"],
        ["json", f"--rcfile={rc}", "-o", "coverage.json"],
        ["lcov", f"--rcfile={rc}", "-o", "coverage.lcov"],
    ]
    for step in steps:
        subprocess.run([*run, *step], cwd=root, env=env, check=True, capture_output=True)
    return Sample(
        root,
        root / ".coverage",
        root / "coverage.xml",
        root / "coverage.json",
        root / "coverage.lcov",
    )


#: A module whose branches two test runs cover in complementary halves.
SHARD_MODULE = """\
def f(x):
    if x:
        return 1
    return 0


def g(x):
    for i in x:
        if i:
            return i


def never(y):
    if y:
        return 1
    return 2
"""
SHARD_DRIVERS = {
    "one": "from pkg.m import f, g\n\nf(True)\ng([1])\n",
    "two": "from pkg.m import f, g\n\nf(False)\ng([])\n",
    "both": "from pkg.m import f, g\n\nf(True)\ng([1])\nf(False)\ng([])\n",
}


@dataclass(frozen=True)
class Shards:
    """``pkg/m.py`` measured by two runs (``one``, ``two``) that take complementary branches,
    and by one run doing both (``both``, the truth a merge must reach); every report format
    of each run is at ``root / f"{run}.{xml,json,lcov}"``."""

    root: Path

    def report(self, run: str, fmt: str) -> Path:
        return self.root / f"{run}.{fmt}"


@pytest.fixture(scope="session")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Shards:
    root = tmp_path_factory.mktemp("shards")
    write(root / "pkg" / "__init__.py", "")
    write(root / "pkg" / "m.py", SHARD_MODULE)
    rc = write(root / "coverage.rc", "[run]\nbranch = true\nsource = pkg\n")
    for run, driver in SHARD_DRIVERS.items():
        write(root / f"{run}.py", driver)
        env = clean_env(COVERAGE_FILE=str(root / f".coverage.{run}"))
        steps = [
            ["run", f"--rcfile={rc}", f"{run}.py"],
            *([kind, f"--rcfile={rc}", "-o", f"{run}.{kind}"] for kind in ("xml", "json", "lcov")),
        ]
        for step in steps:
            subprocess.run(
                [sys.executable, "-m", "coverage", *step],
                cwd=root,
                env=env,
                check=True,
                capture_output=True,
            )
    return Shards(root)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


GateRunner = Callable[..., Run]


@pytest.fixture
def gate(capsys: pytest.CaptureFixture[str]) -> GateRunner:
    """Run ``apiconform gate ARGS...`` through the real entry point."""

    def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = main(["gate", *(str(a) for a in args)])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path
