"""Coverage report readers and format detection by content.

Every reader yields per-file coverage with normalised paths (see
:mod:`apiconform.gate.paths`); :func:`read_reports` reads several and merges them.
A new format is one class that satisfies :class:`~apiconform.gate.readers.base.Reader`,
added to :data:`READERS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from apiconform.gate.errors import GateInputError
from apiconform.gate.model import BranchMismatch, CoverageReport, FileCoverage
from apiconform.gate.paths import PathMapper
from apiconform.gate.readers.base import Reader, merge_into
from apiconform.gate.readers.cobertura import CoberturaReader
from apiconform.gate.readers.coveragepy import CoveragePyDataReader, CoveragePyJsonReader
from apiconform.gate.readers.lcov import LcovReader

__all__ = ["READERS", "Reader", "detect", "merge_reports", "read_report", "read_reports"]

#: Tried in order; the first whose ``detect`` accepts the content reads the file.
READERS: tuple[Reader, ...] = (
    CoveragePyDataReader(),
    CoveragePyJsonReader(),
    CoberturaReader(),
    LcovReader(),
)


def detect(source: str, data: bytes) -> Reader:
    """The reader for ``data``, judged by its content (never by the file name)."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head:
        raise GateInputError(source, "empty file")
    for reader in READERS:
        if reader.detect(head):
            return reader
    raise GateInputError(
        source,
        "not a coverage report this gate reads (LCOV, Cobertura XML, coverage.py JSON "
        "or a coverage.py data file)",
        line=1,
    )


def read_report(path: Path, paths: PathMapper, *, source: str | None = None) -> CoverageReport:
    """Read one report file, whatever its format."""
    name = source or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GateInputError(name, f"cannot read: {exc.strerror or exc}") from None
    reader = detect(name, data)
    return CoverageReport(name, reader.name, reader.read(name, path, data, paths))


def merge_reports(reports: Iterable[CoverageReport]) -> dict[str, FileCoverage]:
    """Union of the reports' files; a file in several reports is merged (see
    :func:`~apiconform.gate.model.merge_files`)."""
    merged: dict[str, FileCoverage] = {}
    origin: dict[str, str] = {}

    def disagree(path: str, exc: BranchMismatch) -> str:
        return (
            f"{path} line {exc.line}: branch outcomes disagree with {origin[path]} "
            "(reports of different sources?)"
        )

    for report in reports:
        for item in report.files.values():
            merge_into(merged, item, report.source, disagree)
            origin.setdefault(item.path, report.source)
    return merged


def read_reports(paths: Iterable[Path], mapper: PathMapper) -> list[CoverageReport]:
    """Read every report; the first bad one raises :class:`GateInputError`."""
    return [read_report(p, mapper) for p in paths]
