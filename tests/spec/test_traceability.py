"""Every requirement is decided by something: a conformance check (``http``/``process``,
see tests/conformance/test_runner.py) or, for the in-process API of a built proposal
(``library``), a test of the reference marked ``@pytest.mark.requirement(ID)``."""

from __future__ import annotations

import ast
from pathlib import Path

from apiconform.spec import Observed, load_catalog

TESTS = Path(__file__).resolve().parents[1]
# the proposals the reference implements; the others' library requirements come with them
BUILT = ("add-application-scopes", "add-error-handling", "add-api-versioning")


def marked_requirements() -> dict[str, list[str]]:
    """Requirement id -> the tests marked with it (``path::name``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "pytest.mark.requirement"
                ):
                    for arg in decorator.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            where = f"{path.relative_to(TESTS)}::{node.name}"
                            found.setdefault(arg.value, []).append(where)
    return found


def test_every_library_requirement_of_a_built_proposal_has_a_marked_test() -> None:
    marked = marked_requirements()
    library = [
        r.id for r in load_catalog() if r.proposal in BUILT and r.observed is Observed.LIBRARY
    ]
    assert library, "the built proposals have no library requirement left"
    missing = sorted(rid for rid in library if rid not in marked)
    assert not missing, f"library requirements no test is marked with: {missing}"


def test_marked_requirements_exist() -> None:
    catalog = load_catalog()
    unknown = {rid: where for rid, where in marked_requirements().items() if rid not in catalog}
    assert not unknown, f"tests marked with unknown requirement ids: {unknown}"
