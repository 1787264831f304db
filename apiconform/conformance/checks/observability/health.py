"""OBS-LIVE-01, OBS-READY-01 and OBS-STAT-01: the liveness, readiness and status probes
of a healthy target."""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body
from apiconform.conformance.registry import CheckSkipped, check, expect

# the bound is judged on the median of repeated requests to a warm target (the catalog)
LIVE_BOUND_MS = 100.0
REPEATS = 5


def _keys(value: Any) -> set[str]:
    """Every member name of a JSON value, at any depth."""
    if isinstance(value, dict):
        found = set(value)
        for child in value.values():
            found |= _keys(child)
        return found
    if isinstance(value, list):
        return {key for child in value for key in _keys(child)}
    return set()


@check("OBS-LIVE-01")
def liveness_answers_ok_quickly(ctx: CheckContext) -> None:
    """GET /health/live: HTTP 200; the body is `{"status": "ok"}` (other members allowed);
    under 100 ms (median of repeated requests)."""
    path = ctx.probe("observability.live")
    client = ctx.client()
    client.get(path)  # warm up
    times: list[float] = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        expect(
            response.status_code == 200,
            "OBS-LIVE-01.status",
            f"GET {path} answered {response.status_code}, not 200",
        )
        body = json_body(response)
        expect(
            isinstance(body, dict) and body.get("status") == "ok",
            "OBS-LIVE-01.body",
            f'GET {path} answered {response.text[:200]!r}, not {{"status": "ok"}}',
        )
    median = statistics.median(times)
    expect(
        median < LIVE_BOUND_MS,
        "OBS-LIVE-01.fast",
        f"GET {path} took {median:.1f} ms (median of {REPEATS}), not under {LIVE_BOUND_MS} ms",
    )


@check("OBS-READY-01")
def readiness_reports_each_dependency(ctx: CheckContext) -> None:
    """With every dependency up, GET /health/ready: HTTP 200; the body has
    `"status": "ready"`; it reports the status of each dependency (the manifest's
    `ready_covers`)."""
    path = ctx.probe("observability.ready")
    response = ctx.client().get(path)
    expect(
        response.status_code == 200,
        "OBS-READY-01.status",
        f"GET {path} answered {response.status_code} with every dependency up, not 200: "
        f"{response.text[:300]!r}",
    )
    body = json_body(response)
    expect(
        isinstance(body, dict) and body.get("status") == "ready",
        "OBS-READY-01.body",
        f'GET {path} answered {response.text[:300]!r}, without "status": "ready"',
    )
    covers = ctx.manifest.observability.ready_covers
    if covers is False:
        ctx.unchecked("each dependency's status: the target declares no observability.ready_covers")
        return
    missing = [name for name in covers if name not in _keys(body)]
    expect(
        not missing,
        "OBS-READY-01.dependencies",
        f"GET {path} reports no status for {', '.join(missing)}: {response.text[:300]!r}",
    )


def _numbers(value: Any, key: re.Pattern[str]) -> bool:
    """Whether a member whose name matches ``key`` holds a number, at any depth."""
    if isinstance(value, dict):
        for name, child in value.items():
            number = isinstance(child, int | float) and not isinstance(child, bool)
            if (number and key.search(str(name))) or _numbers(child, key):
                return True
    if isinstance(value, list):
        return any(_numbers(child, key) for child in value)
    return False


def _text(value: Any, key: str) -> bool:
    """Whether a member named ``key`` holds a non-empty string, at any depth."""
    if isinstance(value, dict):
        found = value.get(key)
        if isinstance(found, str) and found:
            return True
        return any(_text(child, key) for child in value.values())
    if isinstance(value, list):
        return any(_text(child, key) for child in value)
    return False


_MEMORY = re.compile(r"memory|rss|heap", re.I)
_CPU = re.compile(r"cpu", re.I)
_UPTIME = re.compile(r"uptime", re.I)


@check("OBS-STAT-01")
def status_reports_indicators_system_and_version(ctx: CheckContext) -> None:
    """GET /health/status returns detailed health: the status of every registered
    indicator, memory, CPU and uptime figures, the application version and environment."""
    path = ctx.probe("observability.status")
    response = ctx.client().get(path)
    if response.status_code in (401, 403):
        raise CheckSkipped(f"GET {path} needs credentials ({response.status_code})")
    expect(
        response.status_code == 200,
        "OBS-STAT-01.status",
        f"GET {path} answered {response.status_code} with every dependency up, not 200",
    )
    body = json_body(response)
    names = list(ctx.manifest.observability.ready_covers or [])
    if ctx.has("observability.indicator_name"):
        names.append(ctx.probe("observability.indicator_name"))
    missing = [name for name in names if name not in _keys(body)]
    expect(
        not missing,
        "OBS-STAT-01.indicators",
        f"GET {path} does not report the indicators {missing}: {response.text[:300]!r}",
    )
    expect(_numbers(body, _MEMORY), "OBS-STAT-01.memory", f"GET {path} reports no memory figure")
    expect(_numbers(body, _CPU), "OBS-STAT-01.cpu", f"GET {path} reports no CPU figure")
    expect(_numbers(body, _UPTIME), "OBS-STAT-01.uptime", f"GET {path} reports no uptime")
    expect(
        _text(body, "version"),
        "OBS-STAT-01.version",
        f"GET {path} reports no application version: {response.text[:300]!r}",
    )
    expect(
        _text(body, "environment") or _text(body, "env"),
        "OBS-STAT-01.environment",
        f"GET {path} reports no environment: {response.text[:300]!r}",
    )
