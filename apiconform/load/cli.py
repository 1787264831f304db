"""``apiconform load``: run one load scenario against a target and judge it."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path

import click

from apiconform.conformance.cli import reference_manifest
from apiconform.conformance.manifest import Manifest, default_manifest, load_manifest
from apiconform.conformance.report import ensure_writable
from apiconform.conformance.signals import Terminated, stop_cleanly
from apiconform.errors import ConfigError
from apiconform.load.locust_run import Settings, command, plan_json
from apiconform.load.plan import ScenarioSkipped, build_plan
from apiconform.load.runner import LoadResult, run_load
from apiconform.load.thresholds import SCENARIOS, load_thresholds

MAX_RUN_TIME = 3600.0
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_run_time(value: str) -> float:
    """``30s``, ``2m``, ``1h`` or plain seconds; at most one hour."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if match is None:
        raise ConfigError(f"--run-time {value!r}: use seconds such as 30s, 2m or 1h")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if not 1 <= seconds <= MAX_RUN_TIME:
        raise ConfigError(f"--run-time {value!r}: must be between 1 s and 1 h")
    return seconds


# the reference's instances share their rate-limit counters through the suite's Redis
SHARED_LIMITS = " --set throttling.storage=redis --set throttling.redis_url={redis_url}"


def reference_for(scenario: str) -> Manifest:
    """The reference demo as ``scenario`` runs it: for ``throttle``, two instances count
    in one Redis (the storage a user runs several instances with). The demo implements the
    throttler although its manifest does not claim it for the conformance suite yet."""
    manifest = reference_manifest()
    if scenario != "throttle":
        return manifest
    assert manifest.target.start is not None
    target = manifest.target.model_copy(update={"start": manifest.target.start + SHARED_LIMITS})
    claims = sorted({*manifest.claims, "enhance-throttler"})
    return manifest.model_copy(update={"target": target, "claims": claims})


def choose_target(
    manifest_file: Path | None, host: str | None, target: str | None, scenario: str = "errors"
) -> Manifest:
    if target is not None and (manifest_file is not None or host is not None):
        raise ConfigError("--target reference cannot be combined with --manifest or --host")
    if manifest_file is not None:
        manifest = load_manifest(manifest_file)
        return manifest.with_base_url(host) if host else manifest
    if host is not None:
        return default_manifest(host)
    return reference_for(scenario)


def print_result(result: LoadResult) -> None:
    if result.skipped is not None:
        click.echo(f"load {result.scenario}: skipped: {result.skipped}")
        return
    f = result.figures
    click.echo(
        f"load {result.scenario} against {result.target}: {int(f.get('requests', 0))} requests, "
        f"{int(f.get('failures', 0))} failures, {f.get('rps', 0):.1f} req/s, "
        f"p50 {f.get('p50_ms', 0):g} ms, p99 {f.get('p99_ms', 0):g} ms"
    )
    width = max([len("threshold"), *(len(v.threshold.metric) for v in result.verdicts)])
    click.echo(f"{'threshold':<{width}}  {'limit':<16}  {'measured':>10}  verdict")
    for verdict in result.verdicts:
        measured = "-" if verdict.measured is None else f"{verdict.measured:.4g}"
        click.echo(
            f"{verdict.threshold.metric:<{width}}  {verdict.threshold.limit:<16}  "
            f"{measured:>10}  {'pass' if verdict.passed else 'FAIL'}"
        )
    click.echo(f"load {result.scenario} {'passed' if result.passed else 'FAILED'}")


@click.command()
@click.argument("scenario", type=click.Choice(SCENARIOS))
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Manifest TOML of the target (the conformance suite's).",
)
@click.option("--host", help="Base URL of a running target (with --manifest: overrides it).")
@click.option(
    "--target",
    type=click.Choice(["reference"]),
    help="Start the reference demo (the default when no target is given).",
)
@click.option("--users", type=click.IntRange(1, 10_000), default=10, show_default=True)
@click.option(
    "--spawn-rate",
    type=click.FloatRange(min=0, min_open=True, max=10_000),
    default=10.0,
    show_default=True,
    help="Users started per second.",
)
@click.option("--run-time", default="30s", show_default=True, help="30s, 2m, 1h (at most 1 h).")
@click.option(
    "--processes",
    type=click.IntRange(0, 64),
    default=0,
    show_default=True,
    help="Local locust worker processes under a master (0: one process).",
)
@click.option(
    "--expect-workers",
    type=click.IntRange(0, 1000),
    default=0,
    help="Run as a master that waits for this many remote workers.",
)
@click.option(
    "--master-bind",
    default="127.0.0.1",
    show_default=True,
    help="Interface the master listens on for remote workers.",
)
@click.option(
    "--max-requests",
    type=click.IntRange(1, 100_000_000),
    default=200_000,
    show_default=True,
    help="The run stops when this many requests were made.",
)
@click.option(
    "--thresholds",
    "thresholds_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML with one table per scenario (default: the spec's bounds).",
)
@click.option("--peer", help="overhead: base URL of a bare app serving the same route.")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write load.json, locust's HTML report and CSV statistics here.",
)
@click.option(
    "--print-worker-command",
    is_flag=True,
    help="Print the command that starts a remote worker for this plan, and exit.",
)
def load(
    scenario: str,
    manifest_file: Path | None,
    host: str | None,
    target: str | None,
    users: int,
    spawn_rate: float,
    run_time: str,
    processes: int,
    expect_workers: int,
    master_bind: str,
    max_requests: int,
    thresholds_file: Path | None,
    peer: str | None,
    report_dir: Path | None,
    print_worker_command: bool,
) -> int:
    """Run a load SCENARIO against a target and judge it against thresholds.

    Exit status: 0 when every threshold holds (or the target cannot be put through the
    scenario, which is said in one line), 1 when one is breached, 2 on bad input or a
    target that cannot be started or does not answer; 128+N when stopped by signal N.
    """
    if importlib.util.find_spec("locust") is None:
        raise ConfigError("locust is not installed: pip install 'apiconform[load]'")
    if processes and expect_workers:
        raise ConfigError("--processes and --expect-workers cannot be combined")
    manifest = choose_target(manifest_file, host, target, scenario)
    settings = Settings(
        users=users, spawn_rate=spawn_rate, run_time=parse_run_time(run_time),
        processes=processes, expect_workers=expect_workers, master_bind=master_bind,
        max_requests=max_requests,
    )  # fmt: skip
    thresholds = load_thresholds(thresholds_file, scenario)
    if print_worker_command:
        return _print_worker_command(scenario, manifest, settings)
    if report_dir is not None:
        ensure_writable(report_dir)
    try:
        with stop_cleanly():
            result = run_load(scenario, manifest, settings, thresholds, report_dir, peer)
    except Terminated as stopped:
        click.echo(
            f"apiconform: stopped by {stopped}; the target and locust were stopped", err=True
        )
        return stopped.exit_status
    print_result(result)
    if result.files:
        click.echo(f"reports written to {result.files[0].parent}/")
    return 0 if result.passed else 1


def _print_worker_command(scenario: str, manifest: Manifest, settings: Settings) -> int:
    try:
        plan = build_plan(scenario, manifest)
    except ScenarioSkipped as exc:
        raise ConfigError(f"{scenario}: {exc}") from None
    argv = command(plan, "http://target", settings, Path("unused"))
    worker = [sys.executable, "-m", "locust", "-f", argv[argv.index("-f") + 1],
              "--worker", "--master-host", "<master host>"]  # fmt: skip
    plan_text = plan_json(plan, settings, None)
    click.echo(f"APICONFORM_LOAD_PLAN={shlex.quote(plan_text)} {shlex.join(worker)}")
    return 0
