"""LCOV tracefiles, as written by vitest and jest (istanbul), coverage.py and lcov/geninfo.

Records used: ``SF``, ``DA``, ``LF``/``LH``, ``BRDA``, ``BRF``/``BRH``, ``FN``/``FNDA``,
``FNF``/``FNH``, the LCOV 2.2 ``FNL``/``FNA`` pair and ``end_of_record``; ``TN``, ``VER``
and records of other tools are skipped. The summary records (``LF``, ``BRF``, ``FNF``
and their ``H`` partners) must agree with the detail records they sum up: a disagreement
means a truncated or hand-edited file, and is reported as bad input with its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import FileCoverage
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers.base import add_file, decode

_RECORD = re.compile(r"([A-Z][A-Z_]*):(.*)")
_FN = re.compile(r"(\d+),(?:(\d+),)?(.+)")
_FNDA = re.compile(r"(\d+),(.+)")
_FNL = re.compile(r"(\d+),(\d+)(?:,(\d+))?")
_FNA = re.compile(r"(\d+),(\d+),(.+)")
_DA = re.compile(r"(\d+),(\d+)(?:,.*)?")
_BRDA = re.compile(r"(\d+),([^,]+),(.+),(\d+|-)")
_SUMMARIES = ("LF", "LH", "BRF", "BRH", "FNF", "FNH")
_FUNCTION_RECORDS = frozenset({"FN", "FNDA", "FNF", "FNH", "FNL", "FNA"})


@dataclass
class _Record:
    path: str
    line: int
    lines: dict[int, int] = field(default_factory=dict)
    branches: dict[int, dict[str, int]] = field(default_factory=dict)
    functions: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    named: dict[str, int] = field(default_factory=dict)
    indexed: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, tuple[int, int]] = field(default_factory=dict)
    has_functions: bool = False


class LcovReader:
    """Reads LCOV tracefiles (``lcov.info``)."""

    name = "lcov"

    def detect(self, head: bytes) -> bool:
        first = head.split(b"\n", 1)[0].strip()
        return first == b"end_of_record" or re.match(rb"[A-Z][A-Z_]*:", first) is not None

    def read(
        self, source: str, path: Path, data: bytes, paths: PathMapper
    ) -> dict[str, FileCoverage]:
        parser = _Parser(source, paths)
        for number, raw in enumerate(decode(source, data).splitlines(), start=1):
            parser.feed(number, raw.strip())
        return parser.finish()


class _Parser:
    def __init__(self, source: str, paths: PathMapper) -> None:
        self.source = source
        self.paths = paths
        self.records: list[_Record] = []
        self.current: _Record | None = None
        self.last_line = 0
        self.handlers: dict[str, Callable[[_Record, int, str], None]] = {
            "DA": self.on_da,
            "BRDA": self.on_brda,
            "FN": self.on_fn,
            "FNDA": self.on_fnda,
            "FNL": self.on_fnl,
            "FNA": self.on_fna,
        }

    def fail(self, line: int, message: str) -> GateInputError:
        return GateInputError(self.source, message, line=line)

    def feed(self, number: int, text: str) -> None:
        self.last_line = number
        if not text:
            return
        if text == "end_of_record":
            if self.current is None:
                raise self.fail(number, "end_of_record without SF")
            self.check_summaries(self.current)
            self.records.append(self.current)
            self.current = None
            return
        match = _RECORD.fullmatch(text)
        if match is None:
            raise self.fail(number, f"not an LCOV record: {text[:40]!r}")
        kind, value = match.groups()
        if kind in ("TN", "VER"):
            return
        if kind == "SF":
            if self.current is not None:
                raise self.fail(number, f"SF before end_of_record of {self.current.path}")
            if not value.strip():
                raise self.fail(number, "SF without a file name")
            self.current = _Record(self.paths.file(value), number)
            return
        record = self.current
        if record is None:
            raise self.fail(number, f"{kind} record before SF")
        if kind in _FUNCTION_RECORDS:
            record.has_functions = True
        handler = self.handlers.get(kind)
        if kind in _SUMMARIES:
            if not value.isdigit():
                raise self.fail(number, f"{kind}: expected a count, got {value!r}")
            record.summaries[kind] = (int(value), number)
        elif handler is not None:
            handler(record, number, value)

    def parse(self, pattern: re.Pattern[str], kind: str, value: str, line: int) -> re.Match[str]:
        match = pattern.fullmatch(value)
        if match is None:
            raise self.fail(line, f"malformed {kind} record: {value[:40]!r}")
        return match

    def on_da(self, record: _Record, line: int, value: str) -> None:
        number, hits = (int(g) for g in self.parse(_DA, "DA", value, line).groups())
        record.lines[number] = max(hits, record.lines.get(number, 0))

    def on_brda(self, record: _Record, line: int, value: str) -> None:
        number, block, branch, taken = self.parse(_BRDA, "BRDA", value, line).groups()
        outcomes = record.branches.setdefault(int(number), {})
        key = f"{block},{branch}"
        # "-" is LCOV for "the block was never reached": no outcome was taken.
        outcomes[key] = max(0 if taken == "-" else int(taken), outcomes.get(key, 0))

    def on_fn(self, record: _Record, line: int, value: str) -> None:
        start, _end, name = self.parse(_FN, "FN", value, line).groups()
        key = f"{start}:{name}"
        record.functions.setdefault(key, 0)
        record.by_name.setdefault(name, []).append(key)

    def on_fnda(self, record: _Record, line: int, value: str) -> None:
        hits, name = self.parse(_FNDA, "FNDA", value, line).groups()
        keys = record.by_name.get(name)
        if not keys:
            raise self.fail(line, f"FNDA for {name!r}, which no FN record declares")
        # Same-named functions (two classes' constructors) get their FNDA in FN order.
        seen = record.named.get(name, 0)
        key = keys[min(seen, len(keys) - 1)]
        record.named[name] = seen + 1
        record.functions[key] = max(int(hits), record.functions[key])

    def on_fnl(self, record: _Record, line: int, value: str) -> None:
        index, start, _end = self.parse(_FNL, "FNL", value, line).groups()
        record.indexed[index] = start
        record.functions.setdefault(f"{start}:#{index}", 0)

    def on_fna(self, record: _Record, line: int, value: str) -> None:
        index, hits, _name = self.parse(_FNA, "FNA", value, line).groups()
        start = record.indexed.get(index)
        if start is None:
            raise self.fail(line, f"FNA for function index {index}, which no FNL declares")
        # Aliases (FNA records sharing an index) are one function: it ran if any ran.
        key = f"{start}:#{index}"
        record.functions[key] = max(int(hits), record.functions[key])

    def check_summaries(self, record: _Record) -> None:
        item = FileCoverage(record.path, record.lines, record.branches, record.functions)
        actual = {
            "LF": item.line_counts.total,
            "LH": item.line_counts.covered,
            "BRF": item.branch_counts.total,
            "BRH": item.branch_counts.covered,
            "FNF": len(record.functions),
            "FNH": sum(1 for h in record.functions.values() if h > 0),
        }
        for kind, (claimed, line) in record.summaries.items():
            if claimed != actual[kind]:
                raise self.fail(
                    line,
                    f"{kind}:{claimed} does not match the {actual[kind]} counted "
                    f"in the records of {record.path}",
                )

    def finish(self) -> dict[str, FileCoverage]:
        if self.current is not None:
            raise self.fail(
                self.last_line, f"record of {self.current.path} not closed by end_of_record"
            )
        if not self.records:
            raise GateInputError(self.source, "no SF record: an empty LCOV report")
        with_functions = any(r.has_functions for r in self.records)
        files: dict[str, FileCoverage] = {}
        for r in self.records:
            functions = dict(r.functions) if with_functions else None
            add_file(
                files, FileCoverage(r.path, r.lines, r.branches, functions), self.source, r.line
            )
        return files
