"""Every third-party module that the package, the tests and the benchmarks import is
declared in ``pyproject.toml`` (the dependencies or an extra), so a fresh virtual
environment with ``.[dev]`` installed can run them all."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("apiconform", "tests", "bench", "ci", "scripts")
FIRST_PARTY = {"apiconform", "tests", "bench", "conftest"}
# modules that are not distributions on PyPI: Python's own (e.g. ``_pytest`` is pytest's)
PROVIDED_BY = {"_pytest": "pytest", "pytest_asyncio": "pytest-asyncio"}


def normalise(name: str) -> str:
    """A distribution name in its canonical form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> tuple[str, list[str]]:
    """``"apiconform[redis,postgres]"`` -> ``("apiconform", ["redis", "postgres"])``."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", requirement)
    assert match is not None, requirement
    extras = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
    return normalise(match.group(1)), extras


def declared(project: dict[str, object]) -> set[str]:
    """Every distribution the project declares: dependencies and all extras."""
    names: set[str] = set()
    requirements = list(project.get("dependencies", []))  # type: ignore[call-overload]
    optional = project.get("optional-dependencies", {})
    assert isinstance(optional, dict)
    for group in optional.values():
        requirements.extend(group)
    for requirement in requirements:
        name, _ = requirement_name(requirement)
        names.add(name)
    return names


def imported_modules(source: str) -> Iterator[tuple[str, int]]:
    """Top-level names of the absolute imports in ``source``, with their line numbers."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def third_party_imports(root: Path) -> dict[str, list[str]]:
    """Module -> the places that import it, for every module not in the standard library
    and not first-party."""
    found: dict[str, list[str]] = {}
    local = FIRST_PARTY | {path.stem for path in (root / "scripts").glob("*.py")}
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            for module, line in imported_modules(path.read_text(encoding="utf-8")):
                if module in sys.stdlib_module_names or module in local:
                    continue
                if module == "__future__":
                    continue
                found.setdefault(module, []).append(f"{path.relative_to(root)}:{line}")
    return found


def distributions_of(module: str) -> set[str]:
    """The installed distributions that provide ``module``."""
    if module in PROVIDED_BY:
        return {normalise(PROVIDED_BY[module])}
    return {normalise(d) for d in metadata.packages_distributions().get(module, [])}


def undeclared(root: Path) -> list[str]:
    """One line per imported module that no declared distribution provides."""
    with (root / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    names = declared(project)
    problems = []
    for module, places in sorted(third_party_imports(root).items()):
        providers = distributions_of(module)
        if not providers:
            problems.append(f"{module}: not installed (imported at {places[0]})")
        elif providers.isdisjoint(names):
            problems.append(
                f"{module}: provided by {', '.join(sorted(providers))}, which pyproject.toml "
                f"does not declare (imported at {places[0]})"
            )
    return problems


def test_every_imported_distribution_is_declared() -> None:
    assert undeclared(ROOT) == []


def test_the_check_names_an_undeclared_import(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["httpx"]\n'
        '[project.optional-dependencies]\ndev = ["x[other]"]\nother = ["click"]\n'
    )
    for folder in SCANNED:
        (tmp_path / folder).mkdir()
    (tmp_path / "apiconform" / "a.py").write_text("import httpx\nimport click.testing\n")
    (tmp_path / "tests" / "t.py").write_text(
        "import os\nfrom . import sibling\nfrom apiconform import a\n"
        "def f():\n    import yaml\n    from no_such_module_anywhere import x\n"
    )
    problems = undeclared(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith("no_such_module_anywhere: not installed")
    assert problems[1].startswith("yaml: provided by pyyaml, which pyproject.toml does not")
    assert "tests/t.py:5" in problems[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fakeredis[lua]>=2.23", ("fakeredis", ["lua"])),
        ("apiconform[redis, postgres]", ("apiconform", ["redis", "postgres"])),
        ("Python_Multipart>=0.0.9", ("python-multipart", [])),
    ],
)
def test_requirement_names_are_normalised(text: str, expected: tuple[str, list[str]]) -> None:
    assert requirement_name(text) == expected
