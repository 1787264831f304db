"""Runs one locustfile headless in a process of its own (locust's own master/worker
processes with ``processes``) and reads back its statistics."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiconform.common.serving import free_port
from apiconform.errors import ApiconformError
from apiconform.load.plan import PLAN_ENV, Plan


class LoadError(ApiconformError):
    """locust could not run the scenario."""


@dataclass(frozen=True)
class Settings:
    users: int = 10
    spawn_rate: float = 10.0
    run_time: float = 30.0
    processes: int = 0
    expect_workers: int = 0
    master_bind: str = "127.0.0.1"
    max_requests: int = 200_000
    progress: bool = True
    # beyond the run time: start-up, the users' stop and the reports
    grace: float = 45.0


@dataclass
class LocustRun:
    """What one run produced: figures by name (``<request name>.p99_ms``, ``p99_ms`` for
    the whole run, ...) and the scenario's observations."""

    figures: dict[str, float] = field(default_factory=dict)
    observations: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def counter(self, name: str) -> int:
        return int(self.observations.get("counters", {}).get(name, 0))

    def maximum(self, name: str) -> float | None:
        value = self.observations.get("maxima", {}).get(name)
        return None if value is None else float(value)


def command(plan: Plan, host: str, settings: Settings, prefix: Path) -> list[str]:
    argv = [
        sys.executable, "-m", "locust", "-f", str(plan.locustfile), "--headless",
        "-u", str(settings.users), "-r", f"{settings.spawn_rate:g}",
        "-t", f"{max(1, round(settings.run_time))}s", "--host", host,
        "--csv", str(prefix), "--html", f"{prefix}.html", "--only-summary",
        "--loglevel", "WARNING", "--exit-code-on-error", "0", "--stop-timeout", "2",
    ]  # fmt: skip
    if settings.processes:
        # the master and its forked workers talk over a loopback port of their own, so
        # runs side by side on one machine neither collide on locust's default port
        # (5557) nor take each other's workers, and nothing listens beyond loopback
        port = str(free_port())
        argv += [
            "--processes", str(settings.processes), "--master-bind-host", "127.0.0.1",
            "--master-bind-port", port, "--master-port", port,
        ]  # fmt: skip
    if settings.expect_workers:
        argv += [
            "--master", "--expect-workers", str(settings.expect_workers),
            "--master-bind-host", settings.master_bind,
        ]  # fmt: skip
    return argv


def plan_json(plan: Plan, settings: Settings, observations: Path | None) -> str:
    return json.dumps(
        {
            "scenario": plan.scenario,
            "params": plan.params,
            "max_requests": settings.max_requests,
            "observations": str(observations) if observations else None,
            "progress": settings.progress,
        }
    )


def figures_of(stats: dict[str, dict[str, float]]) -> dict[str, float]:
    """Figures by name (``<request name>.p99_ms``; the whole run's without a prefix)."""
    figures: dict[str, float] = {}
    for name, entry in stats.items():
        key = f"{name}." if name else ""
        for figure, value in entry.items():
            figures[key + figure] = float("nan") if value is None else float(value)
    return figures


class LocustProcess:
    """One locust run; :meth:`stop` ends it early (a signal to ``apiconform load``)."""

    def __init__(self, plan: Plan, host: str, settings: Settings, workdir: Path, label: str):
        self.plan = plan
        self.host = host
        self.settings = settings
        self.prefix = workdir / label
        self.observations = workdir / f"{label}-observations.json"
        self.log = workdir / f"{label}-locust.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def run(self) -> LocustRun:
        env = {**os.environ, PLAN_ENV: plan_json(self.plan, self.settings, self.observations)}
        argv = command(self.plan, self.host, self.settings, self.prefix)
        bound = self.settings.run_time + self.settings.grace
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                argv, env=env, stdout=log, stderr=None, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            try:
                code = self.proc.wait(bound)
            except subprocess.TimeoutExpired:
                self.stop()
                raise LoadError(
                    f"locust did not finish within {bound:g} s; see {self.log}"
                ) from None
            except BaseException:  # a signal to apiconform load: locust stops with it
                self.stop()
                raise
        if code != 0:
            tail = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise LoadError(f"locust exited with status {code}: {' | '.join(tail[-3:])}")
        if not self.observations.exists():
            raise LoadError(f"locust wrote no statistics; see {self.log}")
        observed: dict[str, Any] = json.loads(self.observations.read_text(encoding="utf-8"))
        stats = self.prefix.with_name(self.prefix.name + "_stats.csv")
        files = [
            stats,
            self.prefix.with_name(self.prefix.name + "_failures.csv"),
            self.prefix.with_name(self.prefix.name + ".html"),
            self.log,
        ]
        figures = figures_of(observed.pop("stats", {}))
        return LocustRun(figures, observed, [f for f in files if f.exists()])

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(5)
                return
            except subprocess.TimeoutExpired:
                continue
