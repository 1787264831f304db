"""One load run: start (or reach) the target through the conformance suite's manifest and
managed-target code, run the scenario's locustfile, compute the scenario's figures, judge
them against the thresholds and write the reports."""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from apiconform.conformance.manifest import Manifest, TargetSpec
from apiconform.conformance.runner import ConformanceRun
from apiconform.conformance.target import ManagedTarget
from apiconform.load.admission import admission
from apiconform.load.locust_run import LocustProcess, LocustRun, Settings
from apiconform.load.observations import series_count
from apiconform.load.plan import Plan, ScenarioSkipped, build_plan
from apiconform.load.thresholds import Threshold, Verdict, judge

PEER_START = "{python} -m apiconform.load.peer --port {port} --path {path}"


@dataclass
class LoadResult:
    scenario: str
    target: str | None = None
    skipped: str | None = None
    figures: dict[str, float] = field(default_factory=dict)
    verdicts: list[Verdict] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def as_json(self) -> dict[str, Any]:
        def figure(name: str) -> float | None:
            value = self.figures.get(name)
            return None if value is None or math.isnan(value) else value

        data: dict[str, Any] = {
            "scenario": self.scenario,
            "target": self.target,
            "skipped": self.skipped,
            "requests": int(figure("requests") or 0),
            "failures": int(figure("failures") or 0),
            "rps": figure("rps"),
            "p50_ms": figure("p50_ms"),
            "p99_ms": figure("p99_ms"),
            "thresholds": [v.as_dict() for v in self.verdicts],
            "passed": self.passed,
            "figures": {k: figure(k) for k in sorted(self.figures)},
        }
        if self.scenario == "throttle":
            data["over_admitted"] = figure("over_admitted")
            data["under_admitted"] = figure("under_admitted")
        return data


class Session:
    """The target (and, for some scenarios, its peers) for one load run."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.run = ConformanceRun(manifest)
        self.extra: list[ManagedTarget] = []

    def __enter__(self) -> Session:
        self.run.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        return self.run.base_url

    @property
    def managed(self) -> bool:
        return self.run.target is not None

    def start_peer(self, path: str) -> str:
        """A bare app serving ``path`` (the overhead scenario's baseline)."""
        spec = TargetSpec(start=PEER_START.replace("{path}", path), ready_path=path)
        peer = ManagedTarget(spec, {})
        self.extra.append(peer)
        return peer.start_instance().base_url

    def start_instance(self) -> str:
        """Another instance of the managed target (the same command and services)."""
        assert self.run.target is not None
        return self.run.target.start_instance().base_url

    def close(self) -> None:
        for target in self.extra:
            target.stop_all()
        self.run.close()


Scenario = Callable[[Session, Plan, Settings, Path], tuple[dict[str, float], list[Path]]]


def _locust(plan: Plan, host: str, settings: Settings, workdir: Path, label: str) -> LocustRun:
    return LocustProcess(plan, host, settings, workdir, label).run()


def run_default(
    session: Session, plan: Plan, settings: Settings, workdir: Path
) -> tuple[dict[str, float], list[Path]]:
    result = _locust(plan, session.base_url, settings, workdir, plan.scenario)
    figures = dict(result.figures)
    figures.update({k: float(v) for k, v in result.observations.get("counters", {}).items()})
    for name in ("non_problem", "unexpected_status", "version_mismatch", "deprecation_missing"):
        figures.setdefault(name, 0.0)
    return figures, result.files


def _series(client: httpx.Client, url: str) -> float:
    """The number of series the target exposes; NaN (a failed threshold) when it does
    not answer with them."""
    try:
        response = client.get(url)
    except httpx.HTTPError:
        return float("nan")
    return float(series_count(response.text)) if response.status_code == 200 else float("nan")


def run_metrics(
    session: Session, plan: Plan, settings: Settings, workdir: Path
) -> tuple[dict[str, float], list[Path]]:
    """The series count before and after traffic with ever-new raw paths."""
    base = session.base_url
    params = plan.params
    with httpx.Client(timeout=10) as client:
        for warm_up in (params["background"], f"{params['raw_prefix']}/warm-up"):
            with contextlib.suppress(httpx.HTTPError):  # the scrape below tells
                client.get(base + warm_up)
        before = _series(client, base + params["metrics"])
        result = _locust(plan, base, settings, workdir, plan.scenario)
        after = _series(client, base + params["metrics"])
    figures = dict(result.figures)
    figures.update(series_before=before, series_after=after, series_growth=after - before)
    figures["raw_paths"] = float(result.counter("raw_paths"))
    return figures, result.files


def run_overhead(
    session: Session, plan: Plan, settings: Settings, workdir: Path, peer: str | None = None
) -> tuple[dict[str, float], list[Path]]:
    """The trivial route on the target, then on the peer, with the same users and time."""
    if peer is None:
        if not session.managed:
            raise ScenarioSkipped("give --peer URL: a bare app serving the same route")
        peer = session.start_peer(plan.params["path"])
    mine = _locust(plan, session.base_url, settings, workdir, "overhead-target")
    theirs = _locust(plan, peer, settings, workdir, "overhead-peer")
    figures = dict(mine.figures)
    for name in ("rps", "p50_ms", "p99_ms", "requests", "failures"):
        figures[f"peer.{name}"] = theirs.figures[name]
    peer_rps = theirs.figures["rps"]
    figures["ratio"] = figures["rps"] / peer_rps if peer_rps else float("nan")
    return figures, mine.files + theirs.files


def run_oauth(
    session: Session, plan: Plan, settings: Settings, workdir: Path
) -> tuple[dict[str, float], list[Path]]:
    """Sign-ins through the mock OAuth server the suite started for the target."""
    mock = session.run.oauth_mock
    if mock is None:
        raise ScenarioSkipped(
            "needs the suite's mock OAuth server: a managed target whose start command "
            "takes {oauth_mock_url}"
        )
    with_mock = replace(plan, params={**plan.params, "mock_url": mock.instances[0].base_url})
    figures, files = run_default(session, with_mock, settings, workdir)
    figures.setdefault("login_failed", 0.0)
    figures.setdefault("logins", 0.0)
    return figures, files


def run_throttle(
    session: Session, plan: Plan, settings: Settings, workdir: Path
) -> tuple[dict[str, float], list[Path]]:
    """The limited route over two instances of a managed target (sharing what its start
    command shares: Redis, say), or the one external target; admissions per window."""
    hosts = [session.base_url]
    if session.managed:
        hosts.append(session.start_instance())
    spread = replace(plan, params={**plan.params, "hosts": hosts})
    result = _locust(spread, session.base_url, settings, workdir, plan.scenario)
    figures = dict(result.figures)
    figures["instances"] = float(len(hosts))
    figures["unexpected"] = float(result.counter("unexpected"))
    figures["no_window"] = float(result.counter("no_window"))
    counters = result.observations.get("counters", {})
    figures.update(admission(counters, int(plan.params["limit"]), float(plan.params["ttl"])))
    return figures, result.files


SCENARIOS: dict[str, Scenario] = {
    "health": run_default,
    "errors": run_default,
    "metrics": run_metrics,
    "overhead": run_overhead,
    "versioned": run_default,
    "oauth": run_oauth,
    "throttle": run_throttle,
}


def run_load(
    scenario: str,
    manifest: Manifest,
    settings: Settings,
    thresholds: list[Threshold],
    report_dir: Path | None = None,
    peer: str | None = None,
) -> LoadResult:
    """Run ``scenario`` against the manifest's target; reports go to ``report_dir``."""
    result = LoadResult(scenario)
    files: list[Path] = []
    workdir = Path(tempfile.mkdtemp(prefix="apiconform-load-"))
    try:
        try:
            plan = build_plan(scenario, manifest)
            with Session(manifest) as session:
                result.target = session.base_url
                if scenario == "overhead":
                    figures, files = run_overhead(session, plan, settings, workdir, peer)
                else:
                    figures, files = SCENARIOS[scenario](session, plan, settings, workdir)
            result.figures = figures
            result.verdicts = judge(thresholds, figures)
        except ScenarioSkipped as exc:
            result.skipped = str(exc)
        if report_dir is not None:
            result.files = write_report(result, files, report_dir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def write_report(result: LoadResult, files: list[Path], report_dir: Path) -> list[Path]:
    """``load.json`` and locust's HTML report, CSV statistics and log, in ``report_dir``."""
    report_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        target = report_dir / path.name
        shutil.copyfile(path, target)
        written.append(target)
    summary = report_dir / "load.json"
    summary.write_text(
        json.dumps(result.as_json(), indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return [summary, *written]
