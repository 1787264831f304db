"""OBS-RES-01/02/03: process memory, GC, CPU and event-loop lag on /metrics.

Runtimes name these differently (prom-client's `process_cpu_user_seconds_total`,
prometheus-client's `process_resident_memory_bytes`, Go's `go_gc_duration_seconds`), so
families are recognised by what their names say, and CPU time by mode either as a
`mode` label or as one family per mode.
"""

from __future__ import annotations

import re

from apiconform.conformance.checks.observability.exposition import Scrape, scrape
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import check, expect

_RESIDENT = re.compile(r"(resident_memory|rss)", re.I)
_GC = re.compile(r"(^|_)gc(_|$)", re.I)
_CPU_PERCENT = re.compile(r"cpu.*(percent|usage|utili[sz]ation)", re.I)
_LAG = re.compile(r"(event_?loop|loop).*lag", re.I)


def _names(found: Scrape, kind: str | None = None) -> list[str]:
    return [f.name for f in found.families if kind is None or f.type == kind]


def cpu_seconds(found: Scrape, mode: str) -> float | None:
    """Total CPU seconds in ``mode`` (user or system), however the target splits them."""
    total: float | None = None
    for family in found.families:
        if family.type != "counter" or "cpu" not in family.name:
            continue
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            if sample.labels.get("mode") == mode or f"_{mode}_" in f"{family.name}_":
                total = (total or 0.0) + sample.value
    return total


@check("OBS-RES-01")
def memory_and_gc_are_reported(ctx: CheckContext) -> None:
    """/metrics reports resident memory and garbage collection statistics (heap and
    external memory are Node figures: required only of a runtime that has them)."""
    found = scrape(ctx)
    expect(
        any(_RESIDENT.search(n) for n in _names(found, "gauge")),
        "OBS-RES-01.resident",
        f"no resident memory gauge among {_names(found)}",
    )
    expect(
        any(_GC.search(n) for n in _names(found)),
        "OBS-RES-01.gc",
        f"no garbage collection metric among {_names(found)}",
    )


@check("OBS-RES-02")
def cpu_time_and_usage_are_reported(ctx: CheckContext) -> None:
    """/metrics reports CPU user and system time (counters, seconds), a CPU usage
    percentage, and the figures move between collections."""
    first = scrape(ctx)
    user, system = cpu_seconds(first, "user"), cpu_seconds(first, "system")
    expect(
        user is not None and system is not None,
        "OBS-RES-02.user-system",
        f"no CPU time counters by mode (user {user}, system {system}) among {_names(first)}",
    )
    expect(
        any(_CPU_PERCENT.search(n) for n in _names(first, "gauge")),
        "OBS-RES-02.percent",
        f"no CPU usage percentage gauge among {_names(first)}",
    )
    client = ctx.client()
    path = ctx.probe("observability.metrics")
    for _ in range(30):  # some work, so that CPU time passes
        client.get(path)
    second = scrape(ctx)
    before = (user or 0.0) + (system or 0.0)
    after = (cpu_seconds(second, "user") or 0.0) + (cpu_seconds(second, "system") or 0.0)
    expect(
        after > before,
        "OBS-RES-02.refreshed",
        f"CPU time stayed at {before:g} s across 30 scrapes: it is not refreshed",
    )


@check("OBS-RES-03")
def event_loop_lag_is_a_gauge(ctx: CheckContext) -> None:
    """Event-loop lag is exported as a gauge, in seconds (the Prometheus base unit)."""
    found = scrape(ctx)
    lags = [f for f in found.families if _LAG.search(f.name)]
    expect(
        any(f.type == "gauge" for f in lags),
        "OBS-RES-03.gauge",
        f"no event-loop lag gauge among {_names(found)}",
    )
    expect(
        any(f.name.endswith("_seconds") for f in lags if f.type == "gauge"),
        "OBS-RES-03.seconds",
        f"the event-loop lag gauge is not in seconds: {[f.name for f in lags]}",
    )
