"""``apiconform gate``: read coverage reports, apply a policy, print the verdict, write the
badge, the Markdown summary and the JSON result; exit 0 (pass), 1 (a threshold not met)
or 2 (bad input, one line on stderr)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from apiconform.gate.badge import render_badge
from apiconform.gate.diff import changed_lines
from apiconform.gate.errors import GateError
from apiconform.gate.evaluate import evaluate
from apiconform.gate.paths import PathMapper
from apiconform.gate.policy import load_policy, presets
from apiconform.gate.readers import merge_reports, read_reports
from apiconform.gate.summary import render_summary
from apiconform.gate.table import render_table

_OUT = click.Path(path_type=Path, dir_okay=False)


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, creating its folder; failure is one line, exit 2."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GateError(f"{path}: cannot write: {exc.strerror or exc}") from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--policy",
    "policy_ref",
    metavar="FILE|PRESET",
    default=None,
    help=f"Policy TOML file, or a preset name ({', '.join(presets())}). "
    "Default: 95% lines, 85% branches, 95% functions, 95% of changed lines.",
)
@click.option(
    "--base",
    metavar="REV",
    default=None,
    help="Also check the lines changed since the merge base with REV (e.g. origin/main).",
)
@click.option(
    "--changed-only",
    is_flag=True,
    help="Check only the changed lines (for hooks that run some of the tests); needs --base.",
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=".",
    show_default=True,
    help="Folder that report paths, policy globs and git paths are relative to.",
)
@click.option("--badge", "badge_path", type=_OUT, default=None, help="Write an SVG badge here.")
@click.option(
    "--summary", "summary_path", type=_OUT, default=None, help="Write a Markdown summary here."
)
@click.option("--json", "json_path", type=_OUT, default=None, help="Write the JSON result here.")
def gate(
    reports: tuple[Path, ...],
    policy_ref: str | None,
    base: str | None,
    changed_only: bool,
    root: Path,
    badge_path: Path | None,
    summary_path: Path | None,
    json_path: Path | None,
) -> int:
    """Check coverage REPORT files (LCOV, Cobertura XML, coverage.py JSON or data file)
    against thresholds. Several reports are merged. Exit 0 when every threshold is met,
    1 when one is not, 2 on bad input."""
    if changed_only and base is None:
        raise click.UsageError("--changed-only needs --base REV")
    policy = load_policy(policy_ref)
    mapper = PathMapper(root)
    read = read_reports(reports, mapper)
    files = merge_reports(read)
    diff = None if base is None else changed_lines(base, root)
    result = evaluate(
        read,
        files,
        policy,
        policy_name=policy_ref or "default",
        diff=diff,
        changed_only=changed_only,
    )
    if badge_path is not None:
        write_output(badge_path, render_badge(result.badge))
    if summary_path is not None:
        write_output(summary_path, render_summary(result))
    if json_path is not None:
        write_output(json_path, json.dumps(result.to_json(), indent=2) + "\n")
    click.echo(render_table(result), nl=False)
    return result.exit_code
