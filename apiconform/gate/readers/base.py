"""What every reader shares: the :class:`Reader` protocol and text decoding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import BranchMismatch, FileCoverage, merge_files
from apiconform.gate.paths import PathMapper


class Reader(Protocol):
    """Turns one report file into per-file coverage.

    ``detect`` sees the first bytes of the file (BOM and leading whitespace removed) and
    says whether the content is this reader's format; ``read`` parses the whole file.
    ``source`` is the name to put in error messages, as the user typed it.
    """

    name: str

    def detect(self, head: bytes) -> bool: ...

    def read(
        self, source: str, path: Path, data: bytes, paths: PathMapper
    ) -> dict[str, FileCoverage]: ...


def decode(source: str, data: bytes) -> str:
    """The report as text; bytes that are not UTF-8 are bad input, with their line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GateInputError(source, "not UTF-8 text", line=line) from None


def merge_into(
    files: dict[str, FileCoverage],
    item: FileCoverage,
    source: str,
    describe: Callable[[str, BranchMismatch], str],
    line: int | None = None,
) -> None:
    """Add ``item`` to ``files``, merged with a view of the same file already there.

    Outcomes that cannot be lined up raise :class:`GateInputError` for ``source`` (and
    ``line``), its message ``describe(path, mismatch)``.
    """
    seen = files.get(item.path)
    try:
        files[item.path] = item if seen is None else merge_files(seen, item)
    except BranchMismatch as exc:
        raise GateInputError(source, describe(item.path, exc), line=line) from None


def add_file(
    files: dict[str, FileCoverage], item: FileCoverage, source: str, line: int | None = None
) -> None:
    """Add ``item``; a file listed twice in one report (several LCOV records for one
    ``SF``, one Cobertura class per Java or C# class) is merged."""
    merge_into(files, item, source, lambda path, exc: f"{path}: {exc}", line)
