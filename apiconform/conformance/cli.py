"""``apiconform check``: run the conformance suite against a target and write reports."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import click

from apiconform.conformance.context import DEFAULT_TIMEOUT
from apiconform.conformance.manifest import Manifest, default_manifest, load_manifest
from apiconform.conformance.progress import ConsoleProgress
from apiconform.conformance.report import ensure_writable, write_reports
from apiconform.conformance.report.markdown import summary_rows
from apiconform.conformance.report.model import Report, Verdict
from apiconform.conformance.runner import ConformanceRun
from apiconform.conformance.signals import Terminated, stop_cleanly
from apiconform.errors import ApiconformError, ConfigError
from apiconform.spec import PROPOSALS, Level

# The reference demo ships its manifest as package data; reading it is not importing the
# reference (the suite never shares code with the implementation it checks).
REFERENCE_MANIFEST = ("apiconform.reference.demo", "manifest.toml")
LEVELS = ("must", "should", "may")


class NothingChecked(ApiconformError):
    """No requirement was decided: a run that proves nothing must not pass."""


def reference_manifest() -> Manifest:
    package, name = REFERENCE_MANIFEST
    with resources.as_file(resources.files(package) / name) as path:
        return load_manifest(path)


def choose_manifest(url: str | None, manifest_file: Path | None) -> Manifest:
    if manifest_file is not None:
        manifest = load_manifest(manifest_file)
        return manifest.with_base_url(url) if url else manifest
    if url is not None:
        return default_manifest(url)
    return reference_manifest()


def parse_proposals(value: str | None) -> list[str] | None:
    """The proposals of a ``--proposals`` value; None (all) when it is not given."""
    if value is None:
        return None
    chosen = [p.strip() for p in value.split(",") if p.strip()]
    if not chosen:
        raise ConfigError(f"--proposals {value!r} names no proposal; known: {', '.join(PROPOSALS)}")
    unknown = [p for p in chosen if p not in PROPOSALS]
    if unknown:
        raise ConfigError(f"unknown proposal {unknown[0]!r}; known: {', '.join(PROPOSALS)}")
    return chosen


def parse_level(value: str | None) -> Level:
    """A level given in any case (``MUST``, ``must``); ``may`` when not given."""
    chosen = (value or "may").strip().upper()
    try:
        return Level(chosen)
    except ValueError:
        raise ConfigError(f"unknown level {value!r}; use must, should or may") from None


def nothing_checked_reason(report: Report) -> str:
    """Why a run decided no requirement: the commonest reasons first."""
    if not report.results:
        return "no checkable requirement is selected"
    reasons = Counter(r.reason or r.verdict.value for r in report.results)
    top = "; ".join(f"{n} x {reason}" for reason, n in reasons.most_common(3))
    return f"{len(report.results)} requirement(s) selected, none decided ({top})"


def print_summary(report: Report, written: list[Path]) -> None:
    width = max([len("proposal"), *(len(p) for p in report.proposals())])
    click.echo(f"{'proposal':<{width}}  passed  failed  errors  skipped  not claimed")
    for proposal, passed, failed, errors, skipped, not_claimed in summary_rows(report):
        click.echo(
            f"{proposal:<{width}}  {passed:>6}  {failed:>6}  {errors:>6}  {skipped:>7}  "
            f"{not_claimed:>11}"
        )
    for result in report.results:
        level = result.requirement.level.value
        if result.verdict is Verdict.FAIL:
            label = "FAIL" if result.must else "ADVISORY"
            click.echo(f"{label} {result.id} [{level}] {result.reason}")
        elif result.verdict is Verdict.ERROR:
            click.echo(f"ERROR {result.id} [{level}] {result.reason}")
        elif report.strict and result.must and result.verdict is Verdict.SKIP:
            click.echo(f"NOT VERIFIED {result.id} [{level}] {result.reason}")
    click.echo(
        f"conformance {report.status_line()} ({report.mode} mode, {report.coverage_line}, "
        f"{report.duration_s:g} s)"
    )
    if written:
        click.echo(
            f"reports written to {written[0].parent}/ ({', '.join(p.name for p in written)})"
        )


@click.command()
@click.argument("url", required=False)
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Manifest TOML of the target (default: the reference demo, started by the suite).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("apiconform-report"),
    show_default=True,
    help="Directory for conformance.{json,junit.xml,md,html}.",
)
@click.option("--proposals", help="Comma-separated proposals to check (default: all).")
@click.option(
    "--level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="may",
    show_default=True,
    help="Check requirements of this level and stronger.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=600),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds each request may take; three failed requests in a row end the run.",
)
@click.option("--strict", is_flag=True, help="A MUST requirement that is not verified fails.")
def check(
    url: str | None,
    manifest_file: Path | None,
    report_dir: Path,
    proposals: str | None,
    level: str,
    timeout: float,
    strict: bool,
) -> int:
    """Check a target against the proposals, requirement by requirement.

    With no URL and no manifest, starts the reference demo app and checks it. Exit status:
    0 when every MUST requirement checked passed, 1 when one failed (with --strict, also
    when one was not verified), 2 on bad input, a target that cannot be started or does
    not answer, or a run that checked nothing; 128+N when stopped by signal N.
    """
    manifest = choose_manifest(url, manifest_file)
    chosen = parse_proposals(proposals)
    ensure_writable(report_dir)
    progress = ConsoleProgress()
    run = ConformanceRun(
        manifest,
        proposals=chosen,
        level=parse_level(level),
        timeout=timeout,
        strict=strict,
        observer=progress,
    )
    click.echo(
        f"checking {len(run.requirements)} requirements ({run.mode} mode, claims: "
        f"{', '.join(manifest.claims) or 'none'})"
    )
    try:
        with stop_cleanly(), progress:
            try:
                run.start()
                run.run_all()
            finally:
                run.close()
    except Terminated as stopped:
        click.echo(
            f"apiconform: stopped by {stopped}; the target and its services were stopped",
            err=True,
        )
        return stopped.exit_status
    report = run.report()
    written = write_reports(report, report_dir)
    print_summary(report, written)
    if not report.checked:
        raise NothingChecked(f"nothing was checked: {nothing_checked_reason(report)}")
    return 0 if report.passed else 1
