"""``apiconform check``: run the conformance suite against a target and write reports."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from apiconform.conformance.manifest import Manifest, default_manifest, load_manifest
from apiconform.conformance.report import write_reports
from apiconform.conformance.report.markdown import summary_rows
from apiconform.conformance.report.model import Report
from apiconform.conformance.runner import ConformanceRun
from apiconform.errors import ConfigError
from apiconform.spec import PROPOSALS, Level

# The reference demo ships its manifest as package data; reading it is not importing the
# reference (the suite never shares code with the implementation it checks).
REFERENCE_MANIFEST = ("apiconform.reference.demo", "manifest.toml")


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
    if not value:
        return None
    chosen = [p.strip() for p in value.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PROPOSALS]
    if unknown:
        raise ConfigError(f"unknown proposal {unknown[0]!r}; known: {', '.join(PROPOSALS)}")
    return chosen


def print_summary(report: Report, written: list[Path]) -> None:
    width = max([len("proposal"), *(len(p) for p in report.proposals())])
    click.echo(f"{'proposal':<{width}}  passed  failed  skipped  not claimed")
    for proposal, passed, failed, skipped, not_claimed in summary_rows(report):
        click.echo(
            f"{proposal:<{width}}  {passed:>6}  {failed:>6}  {skipped:>7}  {not_claimed:>11}"
        )
    for result in report.results:
        if result.verdict.value == "fail":
            click.echo(f"FAIL {result.id} [{result.requirement.level.value}] {result.reason}")
    status = (
        "passed" if report.passed else f"failed: {len(report.must_failures)} MUST requirement(s)"
    )
    click.echo(f"conformance {status} ({report.mode} mode, {report.duration_s:g} s)")
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
    type=click.Choice(["must", "should", "may"]),
    default="may",
    show_default=True,
    help="Check requirements of this level and stronger.",
)
def check(
    url: str | None,
    manifest_file: Path | None,
    report_dir: Path,
    proposals: str | None,
    level: str,
) -> int:
    """Check a target against the proposals, requirement by requirement.

    With no URL and no manifest, starts the reference demo app and checks it. Exit status:
    0 when every MUST requirement checked passed, 1 when one failed, 2 on bad input or a
    target that cannot be started.
    """
    manifest = choose_manifest(url, manifest_file)
    run = ConformanceRun(manifest, proposals=parse_proposals(proposals), level=Level(level.upper()))
    click.echo(
        f"checking {len(run.requirements)} requirements ({run.mode} mode, claims: "
        f"{', '.join(manifest.claims) or 'none'})"
    )
    try:
        run.start()
        run.run_all()
    finally:
        run.close()
    report = run.report()
    written = write_reports(report, report_dir)
    print_summary(report, written)
    return 0 if report.passed else 1
