"""Every module of the package imports on its own, first, in a fresh interpreter: no
import cycle hides behind the order in which the test suite happens to import things."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import apiconform

ROOT = Path(__file__).resolve().parents[1]

# A parent interpreter that has imported no apiconform module forks one child per module;
# each child imports its module first. Third-party libraries are preloaded in the parent
# (forking is cheap, starting 170 interpreters is not): an import cycle inside apiconform
# shows whatever else is loaded.
_PROBE = r"""
import importlib, json, os, sys, traceback

import pytest
for name in ("fastapi", "pydantic", "sqlalchemy", "httpx", "structlog", "click", "starlette"):
    importlib.import_module(name)
assert not any(m == "apiconform" or m.startswith("apiconform.") for m in sys.modules)
failures = {}
for module in json.loads(sys.argv[1]):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            code = 0
        except BaseException:
            os.write(write, traceback.format_exc(limit=3).encode()[-2000:])
            code = 1
        os._exit(code)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 4096):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        failures[module] = b"".join(chunks).decode(errors="replace") or f"status {status}"
print(json.dumps(failures))
"""


def all_modules() -> list[str]:
    found = ["apiconform"]
    for info in pkgutil.walk_packages(apiconform.__path__, "apiconform."):
        found.append(info.name)
    return sorted(found)


# one interpreter importing every module in turn (~280 of them, each freshly): tens of
# seconds alone, past the default 120 s on a loaded CI machine; bounded by its own 300 s
@pytest.mark.timeout(360)
def test_every_module_imports_alone_in_a_fresh_interpreter() -> None:
    modules = all_modules()
    assert "apiconform.reference.errors.filters" in modules
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(modules)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    failures = json.loads(result.stdout)
    assert failures == {}, "\n\n".join(f"{m}:\n{tb}" for m, tb in failures.items())


def test_every_package_folder_has_an_init_file() -> None:
    """coverage.py leaves never-imported files of a namespace package out of its report,
    so a folder without ``__init__.py`` would hide from the coverage gate."""
    package = ROOT / "apiconform"
    missing = sorted(
        str(folder.relative_to(ROOT))
        for folder in {path.parent for path in package.rglob("*.py")}
        if not (folder / "__init__.py").exists()
    )
    assert missing == []
