"""Fail when a source file of the package is missing from the coverage report.

coverage.py reports files it never saw imported only when it can find them as part of a
package; a folder without ``__init__.py`` (a namespace package) drops out of the report
silently, and with it out of the coverage gate. Run after the tests:

    python scripts/check_coverage_files.py build/coverage.json apiconform
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def missing_files(report: Path, package: Path) -> list[str]:
    measured = {Path(name).as_posix() for name in json.loads(report.read_text())["files"]}
    sources = {path.as_posix() for path in sorted(package.rglob("*.py"))}
    return sorted(sources - measured)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_coverage_files.py COVERAGE_JSON PACKAGE_DIR", file=sys.stderr)
        return 2
    missing = missing_files(Path(argv[0]), Path(argv[1]))
    for name in missing:
        print(f"not in the coverage report: {name}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
