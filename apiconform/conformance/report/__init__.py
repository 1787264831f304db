"""Reports of a conformance run: JSON, JUnit XML, Markdown and a single-file HTML page."""

from __future__ import annotations

from pathlib import Path

from apiconform.conformance.report.html import render_html
from apiconform.conformance.report.junit import render_junit
from apiconform.conformance.report.markdown import render_markdown
from apiconform.conformance.report.model import (
    CheckOutcome,
    Report,
    RequirementResult,
    Verdict,
)
from apiconform.conformance.report.render_json import render_json
from apiconform.errors import ApiconformError

FILES = {
    "conformance.json": render_json,
    "conformance.junit.xml": render_junit,
    "conformance.md": render_markdown,
    "conformance.html": render_html,
}


class ReportError(ApiconformError):
    """The report directory cannot be written."""


def ensure_writable(directory: Path) -> None:
    """Refuse, before a run, a report directory that cannot be written."""
    probe = directory / ".apiconform-write-test"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise ReportError(f"{directory}: cannot write reports: {exc.strerror or exc}") from None


def write_reports(report: Report, directory: Path) -> list[Path]:
    """Write every format into ``directory`` (created if needed); the paths written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, render in FILES.items():
            path = directory / name
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(render(report), encoding="utf-8")
            tmp.replace(path)  # never leave a half-written report behind
            written.append(path)
    except OSError as exc:
        raise ReportError(f"{directory}: cannot write reports: {exc.strerror}") from None
    return written


__all__ = [
    "CheckOutcome",
    "Report",
    "ReportError",
    "RequirementResult",
    "Verdict",
    "ensure_writable",
    "write_reports",
]
