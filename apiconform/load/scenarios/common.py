"""What every locustfile shares: the plan, observations sent from workers to the master,
the request cap and the live progress line.

Observations are merged on the master (or the local runner) and written to the plan's
``observations`` file when the run ends; the runner judges them with locust's statistics.
"""

from __future__ import annotations

import json
import os
import sys
import time
from functools import cache
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import events
from locust.env import Environment
from locust.runners import WorkerRunner

from apiconform.load.observations import Observations
from apiconform.load.plan import PLAN_ENV

PROGRESS_EVERY = 2.0
OBSERVED = Observations()


@cache
def plan() -> dict[str, Any]:
    """The plan the runner wrote; a locustfile started without it says how to get one."""
    raw = os.environ.get(PLAN_ENV)
    if not raw:
        raise SystemExit(
            f"{PLAN_ENV} is not set: start scenarios with `apiconform load` (a remote "
            "worker's command: `apiconform load SCENARIO --print-worker-command`)"
        )
    data: dict[str, Any] = json.loads(raw)
    return data


def params() -> dict[str, Any]:
    return dict(plan()["params"])


def _send(client_id: str, data: dict[str, Any]) -> None:
    data["apiconform"] = OBSERVED.drain()


def _receive(client_id: str, data: dict[str, Any]) -> None:
    OBSERVED.merge(data.get("apiconform", {}))


def _figures(entry: Any) -> dict[str, float]:
    """One statistics entry (a request name's, or the whole run's) as figures."""
    empty = entry.num_requests == 0
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.total_rps,
        "p50_ms": float("nan") if empty else entry.get_response_time_percentile(0.5),
        "p99_ms": float("nan") if empty else entry.get_response_time_percentile(0.99),
    }


def _write(environment: Environment, **_: Any) -> None:
    """The observations and the final statistics, for the runner (the CSV files that
    locust writes periodically may miss the last second)."""
    if isinstance(environment.runner, WorkerRunner):
        return
    path = plan().get("observations")
    if path:
        stats = {"": _figures(environment.stats.total)}
        for (name, _method), entry in environment.stats.entries.items():
            stats[name] = _figures(entry)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({**OBSERVED.as_dict(), "stats": stats}, fh)


def _watch(environment: Environment) -> None:
    """The live progress line, and the stop when the request cap is reached."""
    runner = environment.runner
    assert runner is not None
    started = time.monotonic()
    cap = int(plan().get("max_requests") or 0)
    while True:
        gevent.sleep(PROGRESS_EVERY)
        total = environment.stats.total
        p99 = total.get_current_response_time_percentile(0.99) or 0
        if plan().get("progress", True):
            print(
                f"load: {time.monotonic() - started:5.0f} s  users {runner.user_count:4d}  "
                f"{total.current_rps:8.1f} req/s  p99 {p99:6.0f} ms  "
                f"requests {total.num_requests}  failures {total.num_failures}",
                file=sys.stderr,
                flush=True,
            )
        if cap and total.num_requests >= cap:
            print(f"load: request cap of {cap} reached; stopping", file=sys.stderr, flush=True)
            runner.quit()
            return


def _start_watch(environment: Environment, **_: Any) -> None:
    plan()  # a missing plan stops locust at start, with the reason
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_watch, environment)


events.report_to_master.add_listener(_send)  # type: ignore[no-untyped-call]
events.worker_report.add_listener(_receive)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_write)  # type: ignore[no-untyped-call]
events.init.add_listener(_start_watch)  # type: ignore[no-untyped-call]
