"""OBS-DB-01, OBS-DB-02 and OBS-READY-02: the database indicator, healthy and cut off.

The outage checks cut the target's database through the suite's fault proxy (managed
mode with a networked database given as ``{database_url}``), and put it back in a
``finally`` block; the indicator is found by the name the manifest gives
(``observability.database``) at any depth of the readiness and status bodies.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from apiconform.conformance.checks.observability.probes import DETAIL_MEMBERS, entry, status_of
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.polling import poll
from apiconform.conformance.registry import CheckSkipped, check, expect

UP = ("up", "ok", "healthy", "pass")
# how long readiness may take to see the outage (results cached for a while) and the return
OUTAGE_WAIT = 10.0
RECOVERY_WAIT = 15.0
# the spec's bound for a healthy database
HEALTHY_MS = 1000.0
# member names that hold the indicator's response time (compared with ``_`` and ``-``
# dropped, in lower case: latency_ms, responseTime, duration, took_s...), and their unit;
# timestamp, timeout_ms or uptime are not response times
_TIME = re.compile(
    r"^(?:latency|responsetime|duration|elapsed|took|time)"
    r"(?P<unit>ms|millis|milliseconds|s|sec|secs|seconds)?$"
)
_SECONDS = frozenset({"s", "sec", "secs", "seconds"})
_DAY = 86_400


def _response_time_ms(found: dict[str, Any]) -> float | None:
    """The indicator's response time in milliseconds: the first number under a time-like
    name (``latency_ms``, ``responseTime``, ``duration``), read as seconds when the name
    says so."""
    for name, value in found.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        named = _TIME.match(str(name).lower().replace("_", "").replace("-", ""))
        if named:
            return float(value) * 1000 if named["unit"] in _SECONDS else float(value)
    return None


def _is_time(value: Any, now: float) -> bool:
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        stamp = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return abs(stamp.timestamp() - now) < _DAY
    return False


def _has_time(value: Any, now: float) -> bool:
    """Whether a member holds a time within a day of now: an ISO 8601 string anywhere, or
    epoch seconds or milliseconds under a name that says time."""
    if isinstance(value, dict):
        for name, child in value.items():
            if isinstance(child, int | float) and not isinstance(child, bool):
                if re.search(r"time|date|at$|checked", str(name), re.I) and any(
                    abs(child / scale - now) < _DAY for scale in (1, 1000)
                ):
                    return True
            elif _has_time(child, now):
                return True
        return False
    if isinstance(value, list):
        return any(_has_time(child, now) for child in value)
    return _is_time(value, now)


def _message(found: Any) -> str | None:
    """An error message in ``found`` (a member like ``error`` or ``message``, at any
    depth, holding text)."""
    if isinstance(found, dict):
        for name in DETAIL_MEMBERS:
            value = found.get(name)
            if isinstance(value, str) and value.strip():
                return value
        for child in found.values():
            message = _message(child)
            if message:
                return message
    if isinstance(found, list):
        return next((m for child in found if (m := _message(child))), None)
    return None


def _status(client: TargetClient, path: str) -> int:
    try:
        return client.get(path).status_code
    except httpx.TransportError:
        return 0


@contextmanager
def _database_cut(ctx: CheckContext) -> Iterator[None]:
    """The database cut off, then back; readiness is given time to return (not
    asserted: no THEN clause asks it; a target that does not recover leaves the next
    outage check skipped, "not 200 before the cut")."""
    proxy = ctx.database_proxy
    if proxy is None:
        raise CheckSkipped("needs a networked database the suite can cut (set DATABASE_URL)")
    ready = ctx.probe("observability.ready")
    client = ctx.client()
    if _status(client, ready) != 200:
        raise CheckSkipped(f"GET {ready} is not 200 before the cut (see OBS-READY-01)")
    proxy.cut()
    try:
        yield
    finally:
        proxy.restore()
        poll(lambda: _status(client, ready), lambda status: status == 200, RECOVERY_WAIT)


def _ready_while_cut(ctx: CheckContext) -> httpx.Response:
    """Readiness once it sees the outage (or after OUTAGE_WAIT)."""
    ready = ctx.probe("observability.ready")
    client = ctx.client()
    return poll(lambda: client.get(ready), lambda r: r.status_code != 200, OUTAGE_WAIT)


@check("OBS-DB-01")
def database_indicator_reports_up_with_its_response_time(ctx: CheckContext) -> None:
    """Database health check runs: THEN a simple query is executed (not visible over
    HTTP), AND its response time is measured, AND the status is healthy if that time is
    under 1000 ms. In readiness (and status, when declared) the database indicator is up
    and gives a response time, which is under 1000 ms while it says up."""
    name = ctx.probe("observability.database")
    paths = [ctx.probe("observability.ready")]
    if ctx.has("observability.status"):
        paths.append(ctx.probe("observability.status"))
    client = ctx.client()
    for path in paths:
        response = client.get(path)
        found = entry(json_body(response), name)
        if found is None:
            raise CheckSkipped(
                f"GET {path} reports no indicator {name!r} (see OBS-READY-01): "
                f"{response.text[:200]!r}"
            )
        expect(
            status_of(found) in UP,
            "OBS-DB-01.up",
            f"with the database up, GET {path} reports {name!r} as {found!r}",
        )
        took = _response_time_ms(found)
        expect(
            took is not None,
            "OBS-DB-01.response-time",
            f"GET {path} reports no response time for {name!r} (latency_ms, responseTime, "
            f"duration, ...): {found!r}",
        )
        assert took is not None
        expect(
            took < HEALTHY_MS,
            "OBS-DB-01.healthy-bound",
            f"GET {path} reports {name!r} up with a response time of {took:g} ms: healthy "
            f"only under {HEALTHY_MS:g} ms",
        )


@check("OBS-DB-02")
def lost_database_makes_its_indicator_down(ctx: CheckContext) -> None:
    """Database connection fails: THEN its indicator reports unhealthy, AND the
    application stays up in a degraded state (liveness still answers 200), AND readiness
    fails (not 200)."""
    name = ctx.probe("observability.database")
    live = ctx.probe("observability.live") if ctx.has("observability.live") else None
    client = ctx.client()
    if live is not None and _status(client, live) != 200:
        ctx.unchecked(f"the application staying up: GET {live} is not 200 even before the cut")
        live = None
    with _database_cut(ctx):
        response = _ready_while_cut(ctx)
        alive = client.get(live).status_code if live else None
    found = entry(json_body(response), name)
    expect(
        response.status_code != 200,
        "OBS-DB-02.readiness",
        f"with the database cut off for {OUTAGE_WAIT:g} s readiness still answered 200: "
        f"{response.text[:300]!r}",
    )
    expect(
        found is not None and status_of(found) not in UP,
        "OBS-DB-02.down",
        f"with the database cut off the indicator {name!r} reports {found!r}, not down",
    )
    if alive is None:
        if not ctx.has("observability.live"):
            ctx.unchecked("the application staying up: the target declares no observability.live")
    else:
        expect(
            alive == 200,
            "OBS-DB-02.alive",
            f"with the database cut off liveness answered {alive}: a lost dependency must "
            "leave the application up (degraded), not dead",
        )


@check("OBS-READY-02")
def readiness_names_the_lost_database(ctx: CheckContext) -> None:
    """Database connection failing: THEN GET /health/ready returns 503, AND indicates which
    dependency failed, AND includes an error message and a timestamp."""
    name = ctx.probe("observability.database")
    ready = ctx.probe("observability.ready")
    with _database_cut(ctx):
        response = _ready_while_cut(ctx)
        now = time.time()
    body = json_body(response)
    expect(
        response.status_code == 503,
        "OBS-READY-02.status",
        f"with the database cut off GET {ready} answered {response.status_code}, not 503",
    )
    found = entry(body, name)
    expect(
        (found is not None and status_of(found) not in UP)
        or (found is None and name in response.text),
        "OBS-READY-02.names",
        f"the 503 does not say that {name!r} failed: {response.text[:300]!r}",
    )
    expect(
        _message(found) is not None or _message(body) is not None,
        "OBS-READY-02.message",
        f"the 503 carries no error message ({', '.join(DETAIL_MEMBERS)}): {response.text[:300]!r}",
    )
    expect(
        _has_time(body, now),
        "OBS-READY-02.timestamp",
        f"the 503 carries no timestamp (an ISO 8601 time or epoch time within a day of "
        f"now): {response.text[:300]!r}",
    )
