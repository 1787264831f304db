"""coverage.py's own outputs: the JSON report (``coverage json``) and the data file
(``.coverage``, SQLite).

The JSON report names branch outcomes (``[from, to]`` arcs), so shards merge exactly. Since
coverage.py 7.5 (JSON format 3) it also lists each function's region; a function counts
when it has statements, and is covered when one of them ran. Older JSON has no function
data: n/a.

A data file holds raw measurements, not a report: it is turned into the JSON report
through coverage.py's public API (``Coverage.load`` then ``json_report``), which applies
the coverage configuration found in the current directory (``.coveragerc``, ``setup.cfg``,
``tox.ini`` or ``pyproject.toml``) exactly as ``coverage report`` would, and needs the
measured source files to be present.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import FileCoverage
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers.base import add_file, decode

SQLITE_MAGIC = b"SQLite format 3\x00"


class _Json:
    """Checked access to one file's entry, errors pointing at the entry's line."""

    def __init__(self, source: str, text: str, name: str, entry: object) -> None:
        self.source = source
        self.name = name
        position = text.find(json.dumps(name))
        self.line = text.count("\n", 0, position) + 1 if position >= 0 else None
        if not isinstance(entry, dict):
            raise self.fail("", "expected an object")
        self.entry: dict[str, Any] = entry

    def fail(self, key: str, message: str) -> GateInputError:
        where = f"files[{self.name!r}]" + (f".{key}" if key else "")
        return GateInputError(self.source, f"{where}: {message}", line=self.line)

    def numbers(self, key: str) -> list[int]:
        value = self.entry.get(key)
        if not isinstance(value, list) or not all(_is_count(n) for n in value):
            raise self.fail(key, "expected a list of line numbers")
        return value

    def arcs(self, key: str) -> list[tuple[int, int]]:
        value = self.entry.get(key, [])
        ok = isinstance(value, list) and all(
            isinstance(a, list) and len(a) == 2 and all(isinstance(n, int) for n in a)
            for a in value
        )
        if not ok:
            raise self.fail(key, "expected a list of [from, to] line pairs")
        return [(a[0], a[1]) for a in value]

    def check(self, key: str, claimed: object, actual: int) -> None:
        if claimed is not None and claimed != actual:
            raise self.fail(f"summary.{key}", f"{claimed} does not match the {actual} listed")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _functions(data: _Json) -> dict[str, int] | None:
    regions = data.entry.get("functions")
    if regions is None:
        return None
    if not isinstance(regions, dict):
        raise data.fail("functions", "expected an object")
    functions: dict[str, int] = {}
    for name, region in regions.items():
        # "" is the code outside every function: module level, not a function.
        if name == "":
            continue
        summary = region.get("summary") if isinstance(region, dict) else None
        if not isinstance(summary, dict) or not _is_count(summary.get("num_statements")):
            raise data.fail(f"functions[{name!r}]", "expected a region with a summary")
        if summary["num_statements"] == 0:
            continue
        executed = summary.get("covered_lines", 0)
        if not _is_count(executed):
            raise data.fail(f"functions[{name!r}]", "expected a count of covered lines")
        functions[f"{region.get('start_line', '?')}:{name}"] = executed
    return functions


def parse_json(
    source: str, text: str, paths: PathMapper, *, cwd: str | None = None
) -> dict[str, FileCoverage]:
    """Parse a coverage.py JSON report; relative names are relative to ``cwd`` when given
    (the data-file route knows it), else to the gate's root."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GateInputError(source, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    report = document.get("files") if isinstance(document, dict) else None
    if not isinstance(report, dict):
        raise GateInputError(
            source,
            'not a coverage.py JSON report (no "files" object); for istanbul or vitest '
            "use the lcov or cobertura reporter",
            line=1,
        )
    if not report:
        raise GateInputError(source, "no files: an empty coverage.py JSON report")
    files: dict[str, FileCoverage] = {}
    for name, entry in report.items():
        data = _Json(source, text, name, entry)
        executed = data.numbers("executed_lines")
        missing = data.numbers("missing_lines")
        summary = data.entry.get("summary")
        summary = summary if isinstance(summary, dict) else {}
        data.check("num_statements", summary.get("num_statements"), len(executed) + len(missing))
        data.check("covered_lines", summary.get("covered_lines"), len(executed))
        lines = {n: 0 for n in missing} | {n: 1 for n in executed}
        branches: dict[int, dict[str, int]] = {}
        taken = data.arcs("executed_branches")
        not_taken = data.arcs("missing_branches")
        data.check("num_branches", summary.get("num_branches"), len(taken) + len(not_taken))
        for arcs, hit in ((not_taken, 0), (taken, 1)):
            for start, end in arcs:
                branches.setdefault(start, {})[f"->{end}"] = hit
        raw = os.path.join(cwd, name) if cwd is not None else name
        add_file(files, FileCoverage(paths.file(raw), lines, branches, _functions(data)), source)
    return files


class CoveragePyJsonReader:
    """Reads ``coverage json`` output."""

    name = "coverage.py json"

    def detect(self, head: bytes) -> bool:
        return head.startswith(b"{")

    def read(
        self, source: str, path: Path, data: bytes, paths: PathMapper
    ) -> dict[str, FileCoverage]:
        return parse_json(source, decode(source, data), paths)


class CoveragePyDataReader:
    """Reads a coverage.py data file (``.coverage``; combine parallel files first)."""

    name = "coverage.py data"

    def detect(self, head: bytes) -> bool:
        return head.startswith(SQLITE_MAGIC)

    def read(
        self, source: str, path: Path, data: bytes, paths: PathMapper
    ) -> dict[str, FileCoverage]:
        from coverage import Coverage
        from coverage.exceptions import CoverageException

        with tempfile.TemporaryDirectory(prefix="apiconform-gate-") as tmp:
            out = Path(tmp) / "coverage.json"
            try:
                cov = Coverage(data_file=str(path.resolve()), config_file=True)
                cov.load()
                cov.json_report(outfile=str(out))
            except CoverageException as exc:
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise GateInputError(source, f"coverage.py: {message}") from None
            return parse_json(source, out.read_text(encoding="utf-8"), paths, cwd=os.getcwd())
