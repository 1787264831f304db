"""OBS-LIVE-02, OBS-IND-01/02 and OBS-CUST-01/02: what the probe routes switch on is seen
on the health endpoints and the scrape.

Every switch is put back in a ``finally`` block, so one check's stimulus is not the next
one's failure.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apiconform.conformance.checks.observability.exposition import scrape
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body
from apiconform.conformance.registry import CheckSkipped, check, expect

DETAIL_MEMBERS = ("error", "errors", "details", "message", "reason", "info", "detail")
_UP = ("up", "ok", "healthy", "pass")


def _switch(ctx: CheckContext, probe: str, body: dict[str, Any]) -> None:
    path = ctx.probe(probe)
    response = ctx.client().put(path, json=body)
    if not response.is_success:
        raise CheckSkipped(
            f"the {probe} probe answered PUT {path} {body} with {response.status_code}"
        )


@contextmanager
def _switched(
    ctx: CheckContext, probe: str, on: dict[str, Any], off: dict[str, Any]
) -> Iterator[None]:
    _switch(ctx, probe, on)
    try:
        yield
    finally:
        ctx.client().put(ctx.probe(probe), json=off)


@check("OBS-LIVE-02")
def liveness_fails_when_the_application_cannot_function(ctx: CheckContext) -> None:
    """With the application marked broken (the liveness switch), GET /health/live answers
    503 with error details in its body."""
    path = ctx.probe("observability.live")
    with _switched(ctx, "observability.liveness_switch", {"broken": True}, {"broken": False}):
        response = ctx.client().get(path)
    expect(
        response.status_code == 503,
        "OBS-LIVE-02.status",
        f"GET {path} answered {response.status_code} for a broken application, not 503",
    )
    body = json_body(response)
    details = [m for m in DETAIL_MEMBERS if isinstance(body, dict) and body.get(m)]
    expect(
        bool(details),
        "OBS-LIVE-02.details",
        f"the 503 of GET {path} has no error details ({', '.join(DETAIL_MEMBERS)}): "
        f"{response.text[:200]!r}",
    )


def entry(body: Any, name: str) -> dict[str, Any] | None:
    """The object reported under ``name`` at any depth of a health body."""
    if isinstance(body, dict):
        found = body.get(name)
        if isinstance(found, dict):
            return found
        for child in body.values():
            nested = entry(child, name)
            if nested is not None:
                return nested
    if isinstance(body, list):
        for child in body:
            if isinstance(child, dict) and child.get("name") == name:
                return child
            nested = entry(child, name)
            if nested is not None:
                return nested
    return None


def status_of(found: dict[str, Any] | None) -> str:
    return str((found or {}).get("status", "")).lower()


@check("OBS-IND-01")
def custom_indicator_is_registered_and_called(ctx: CheckContext) -> None:
    """The custom indicator appears in the readiness and status results, and its check()
    is called at each evaluation: switched down, it reports down."""
    name = ctx.probe("observability.indicator_name")
    ready = ctx.probe("observability.ready")
    client = ctx.client()
    _switch(ctx, "observability.indicator", {"state": "up"})
    listed = entry(json_body(client.get(ready)), name)
    expect(
        listed is not None,
        "OBS-IND-01.ready",
        f"GET {ready} does not report the indicator {name!r}",
    )
    if ctx.has("observability.status"):
        status = ctx.probe("observability.status")
        expect(
            entry(json_body(client.get(status)), name) is not None,
            "OBS-IND-01.status",
            f"GET {status} does not report the indicator {name!r}",
        )
    else:
        ctx.unchecked("the indicator in the status: the target declares no observability.status")
    with _switched(ctx, "observability.indicator", {"state": "down"}, {"state": "up"}):
        down = status_of(entry(json_body(client.get(ready)), name))
    expect(
        down not in _UP,
        "OBS-IND-01.called",
        f"switched down, the indicator {name!r} still reports {down!r}: check() was not called",
    )


@check("OBS-IND-02")
def slow_indicator_is_degraded_and_others_report(ctx: CheckContext) -> None:
    """An indicator slower than its timeout is marked degraded, with timeout information,
    and the other indicators still report."""
    name = ctx.probe("observability.indicator_name")
    ready = ctx.probe("observability.ready")
    with _switched(ctx, "observability.indicator", {"state": "slow"}, {"state": "up"}):
        body = json_body(ctx.client().get(ready))
    found = entry(body, name)
    expect(
        status_of(found) == "degraded",
        "OBS-IND-02.degraded",
        f"the slow indicator {name!r} reports {found!r}, not degraded",
    )
    expect(
        "timeout" in str(found).lower() or "timed out" in str(found).lower(),
        "OBS-IND-02.timeout-info",
        f"the slow indicator {name!r} says nothing of its timeout: {found!r}",
    )
    covers = ctx.manifest.observability.ready_covers or []
    silent = [dep for dep in covers if status_of(entry(body, dep)) not in _UP]
    expect(
        not silent,
        "OBS-IND-02.others",
        f"while {name!r} timed out, {silent} did not report up: {str(body)[:300]}",
    )


def _order(ctx: CheckContext, amount: float) -> None:
    path = ctx.probe("observability.custom_metric")
    response = ctx.client().post(path, params={"amount": amount})
    if not response.is_success:
        raise CheckSkipped(f"the custom metric probe answered POST {path} {response.status_code}")


@check("OBS-CUST-01")
def custom_counter_rises_by_one_per_increment(ctx: CheckContext) -> None:
    """Each call of the probe adds one to the custom counter, exported on /metrics."""
    counter = ctx.probe("observability.custom_counter")
    before = scrape(ctx).total(counter)
    _order(ctx, 1)
    _order(ctx, 1)
    after = scrape(ctx)
    expect(
        bool(after.samples(counter)),
        "OBS-CUST-01.exported",
        f"/metrics has no {counter}",
    )
    expect(
        after.total(counter) - before == 2,
        "OBS-CUST-01.counted",
        f"two increments moved {counter} from {before:g} to {after.total(counter):g}",
    )


@check("OBS-CUST-02")
def custom_histogram_records_values(ctx: CheckContext) -> None:
    """Recorded values update the custom histogram's buckets, sum and count."""
    name = ctx.probe("observability.custom_histogram")
    before = scrape(ctx)
    amounts = (3.0 + secrets.randbelow(5), 5000.0)
    for amount in amounts:
        _order(ctx, amount)
    after = scrape(ctx)
    family = after.family(name)
    expect(
        family is not None and family.type == "histogram",
        "OBS-CUST-02.histogram",
        f"/metrics has no histogram {name}",
    )
    count = after.total(f"{name}_count") - before.total(f"{name}_count")
    total = after.total(f"{name}_sum") - before.total(f"{name}_sum")
    expect(
        count == len(amounts) and total == sum(amounts),
        "OBS-CUST-02.sum-count",
        f"recording {amounts} moved {name}_count by {count:g} and {name}_sum by {total:g}",
    )
    moved = {
        float(s.labels["le"]): s.value - before.total(f"{name}_bucket", le=s.labels["le"])
        for s in after.samples(f"{name}_bucket")
    }
    wrong = {
        le: change for le, change in moved.items() if change != sum(1 for a in amounts if a <= le)
    }
    expect(
        bool(moved) and not wrong,
        "OBS-CUST-02.buckets",
        f"the buckets of {name} moved {moved}; expected each to count the values <= its le",
    )
