"""Cobertura XML, as written by coverage.py (``coverage xml``), istanbul's ``cobertura``
reporter (vitest, jest), and most other tools (gcovr, coverlet, JaCoCo converters).

Parsed with expat directly rather than ElementTree for two reasons: errors can name the
line of the element at fault, and entity declarations can be refused outright, which
defuses entity-expansion attacks from untrusted report files without ``defusedxml``
(istanbul's external ``DOCTYPE`` is harmless: expat never fetches it).

Branches: Cobertura gives ``condition-coverage="50% (1/2)"`` per line, so outcomes are
counted, not named; coverage.py adds ``missing-branches="4,exit"``, the destinations not
taken, which are kept so that shards merge exactly (see :mod:`apiconform.gate.model`).
Functions come from ``<method>`` elements; a report without any (coverage.py always writes
an empty ``<methods/>``) has no function data: n/a.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.parsers import expat

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import FileCoverage, counted_outcomes
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers.base import add_file, decode

_CONDITION = re.compile(r"\s*(?:\d+(?:\.\d+)?%\s*)?\((\d+)/(\d+)\)\s*")


def _missing_branches(value: str | None, count: int) -> list[str] | None:
    """coverage.py's ``missing-branches="4,exit"``: the destinations of the outcomes not
    taken, when it names exactly the ``count`` missed ones (else ``None``: counts only)."""
    if count == 0:
        return []
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    return names if len(names) == len(set(names)) == count else None


class _Class:
    def __init__(self, path: str, line: int) -> None:
        self.path = path
        self.line = line
        self.lines: dict[int, int] = {}
        self.branches: dict[int, dict[str, int]] = {}
        self.functions: dict[str, int] = {}


class CoberturaReader:
    """Reads Cobertura XML (``coverage.xml``, ``cobertura-coverage.xml``)."""

    name = "cobertura"

    def detect(self, head: bytes) -> bool:
        return head.startswith(b"<")

    def read(
        self, source: str, path: Path, data: bytes, paths: PathMapper
    ) -> dict[str, FileCoverage]:
        return _Parser(source, paths).parse(decode(source, data))


class _Parser:
    def __init__(self, source: str, paths: PathMapper) -> None:
        self.source = source
        self.paths = paths
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.EntityDeclHandler = self.entity
        self.stack: list[str] = []
        self.sources: list[str] = []
        self.chars: list[str] = []
        self.classes: list[_Class] = []
        self.current: _Class | None = None
        self.method: tuple[str, int, int | None] | None = None
        self.claims: dict[str, tuple[int, int]] = {}
        self.line_elements = 0
        self.has_methods = False

    @property
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def fail(self, message: str) -> GateInputError:
        return GateInputError(self.source, message, line=self.line)

    def parse(self, text: str) -> dict[str, FileCoverage]:
        try:
            self.parser.Parse(text, True)
        except expat.ExpatError as exc:
            message = expat.ErrorString(exc.code)
            raise GateInputError(self.source, f"invalid XML: {message}", line=exc.lineno) from None
        return self.finish()

    def entity(self, name: str, *_: object) -> None:
        raise self.fail(f"entity declaration {name!r} refused in a coverage report")

    def integer(self, attrs: dict[str, str], key: str, element: str) -> int:
        value = attrs.get(key)
        if value is None:
            raise self.fail(f"<{element}> without {key}=")
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number < 0:
            raise self.fail(f"<{element} {key}={value!r}>: expected a whole number")
        return number

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.stack and name != "coverage":
            raise self.fail(f"root element is <{name}>, not Cobertura's <coverage>")
        self.stack.append(name)
        if name == "coverage":
            for key in ("lines-valid", "lines-covered", "branches-valid", "branches-covered"):
                if attrs.get(key, "").isdigit():
                    self.claims[key] = (int(attrs[key]), self.line)
        elif name == "source":
            self.chars = []
        elif name == "class":
            filename = attrs.get("filename", "").strip()
            if not filename:
                raise self.fail("<class> without filename=")
            self.current = _Class(self.paths.file(filename, bases=self.sources), self.line)
            self.classes.append(self.current)
        elif name == "method":
            self.start_method(attrs)
        elif name == "line":
            self.on_line(attrs)

    def start_method(self, attrs: dict[str, str]) -> None:
        if self.current is None:
            raise self.fail("<method> outside <class>")
        self.has_methods = True
        hits = self.integer(attrs, "hits", "method")
        self.method = (attrs.get("name", ""), hits, None)

    def on_line(self, attrs: dict[str, str]) -> None:
        number = self.integer(attrs, "number", "line")
        hits = self.integer(attrs, "hits", "line")
        if self.method is not None:
            name, method_hits, first = self.method
            self.method = (name, method_hits, number if first is None else first)
            return
        if self.current is None:
            raise self.fail("<line> outside <class>")
        self.line_elements += 1
        self.current.lines[number] = max(hits, self.current.lines.get(number, 0))
        if attrs.get("branch", "false").lower() != "true":
            return
        match = _CONDITION.fullmatch(attrs.get("condition-coverage", ""))
        if match is None:
            raise self.fail(f"<line number={number}> branch without condition-coverage (n/m)")
        covered, total = int(match[1]), int(match[2])
        if covered > total:
            raise self.fail(f"<line number={number}> covers {covered} of {total} branches")
        missed = _missing_branches(attrs.get("missing-branches"), total - covered)
        self.current.branches[number] = counted_outcomes(covered, total, missed)

    def end(self, name: str) -> None:
        self.stack.pop()
        if name == "source":
            self.sources.append("".join(self.chars).strip())
        elif name == "class":
            self.current = None
        elif name == "method" and self.method is not None and self.current is not None:
            method, hits, first = self.method
            key = f"{first}:{method}" if first is not None else method
            self.current.functions[key] = max(hits, self.current.functions.get(key, 0))
            self.method = None

    def text(self, data: str) -> None:
        if self.stack and self.stack[-1] == "source":
            self.chars.append(data)

    def finish(self) -> dict[str, FileCoverage]:
        if not self.classes:
            raise GateInputError(self.source, "no <class> element: an empty Cobertura report")
        self.check_claims()
        files: dict[str, FileCoverage] = {}
        for c in self.classes:
            functions = c.functions if self.has_methods else None
            add_file(
                files, FileCoverage(c.path, c.lines, c.branches, functions), self.source, c.line
            )
        return files

    def check_claims(self) -> None:
        lines = sum(len(c.lines) for c in self.classes)
        outcomes = [h for c in self.classes for o in c.branches.values() for h in o.values()]
        actual = {
            "lines-valid": self.line_elements,
            "lines-covered": sum(1 for c in self.classes for h in c.lines.values() if h > 0),
            "branches-valid": len(outcomes),
            "branches-covered": sum(1 for h in outcomes if h > 0),
        }
        # Duplicate <line> elements were merged, so the claims cannot be checked then.
        if lines != self.line_elements:
            return
        for key, (claimed, where) in self.claims.items():
            if claimed != actual[key]:
                raise GateInputError(
                    self.source,
                    f'<coverage {key}="{claimed}"> does not match the {actual[key]} '
                    "counted in its <line> elements",
                    line=where,
                )
