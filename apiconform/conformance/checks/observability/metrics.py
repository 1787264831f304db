"""OBS-PROM-01, OBS-HTTP-01/02/03 and OBS-CARD-01: the scrape, the request metrics and
bounded labels.

Requests are tied to series by values the suite chose: ids filled into the manifest's
templated route (whose series must carry the template, not the ids) and unknown paths
made of nonces (which must never reach a label). Counts are read before and after, so
other traffic of the target does not matter as long as it does not hit these series.
"""

from __future__ import annotations

import statistics
import time

from apiconform.conformance.checks.observability.exposition import (
    DURATION,
    ERRORS,
    REQUESTS,
    ExpositionError,
    parse,
    scrape,
    templated,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id
from apiconform.conformance.registry import CheckSkipped, check, expect

SPEC_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCRAPE_BOUND_MS = 500.0
REPEATS = 3
COUNT = 3
_MEDIA = ("text/plain", "application/openmetrics-text")


@check("OBS-PROM-01")
def metrics_endpoint_serves_the_exposition(ctx: CheckContext) -> None:
    """GET /metrics: Prometheus text (or OpenMetrics) that parses; HELP and TYPE for every
    metric; within 500 ms (median of repeated scrapes). That the registered metrics are
    included is seen through the request metrics (OBS-HTTP-01/02)."""
    path = ctx.probe("observability.metrics")
    client = ctx.client()
    client.get(path)  # warm up
    times: list[float] = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    expect(
        response.status_code == 200,
        "OBS-PROM-01.status",
        f"GET {path} answered {response.status_code}, not 200",
    )
    media = response.headers.get("content-type", "")
    expect(
        media.startswith(_MEDIA),
        "OBS-PROM-01.media-type",
        f"GET {path} answered Content-Type {media!r}, not the Prometheus text format "
        "(text/plain; version=0.0.4) or OpenMetrics",
    )
    try:
        families = parse(response)
    except ExpositionError as exc:
        families = []
        expect(False, "OBS-PROM-01.parses", f"GET {path} does not parse: {exc}")
    undocumented = sorted(
        f.name for f in families if f.samples and (not f.documentation or f.type == "unknown")
    )
    expect(
        not undocumented,
        "OBS-PROM-01.help-type",
        f"metrics without HELP or TYPE: {', '.join(undocumented[:10])}",
    )
    median = statistics.median(times)
    expect(
        median < SCRAPE_BOUND_MS,
        "OBS-PROM-01.fast",
        f"GET {path} took {median:.1f} ms (median of {REPEATS}), not under {SCRAPE_BOUND_MS} ms",
    )


def _hit_templated(ctx: CheckContext) -> tuple[str, int]:
    """COUNT requests to the templated route with fresh ids: its template and the status."""
    raw, template = templated(ctx)
    client = ctx.client()
    codes = {client.get(raw()).status_code for _ in range(COUNT)}
    if len(codes) != 1:
        raise CheckSkipped(f"the templated route answered {sorted(codes)} to alike requests")
    return template, codes.pop()


@check("OBS-HTTP-01")
def request_durations_in_a_seconds_histogram(ctx: CheckContext) -> None:
    """Each request's duration is recorded in the `http_request_duration_seconds`
    histogram; its buckets include the spec's [0.005 ... 10] (seconds); its series carry
    `method` and `path` (the route template)."""
    before = scrape(ctx)
    template, _ = _hit_templated(ctx)
    after = scrape(ctx)
    family = after.family(DURATION)
    expect(
        family is not None and family.type == "histogram",
        "OBS-HTTP-01.histogram",
        f"no histogram named {DURATION}: {[f'{f.name} ({f.type})' for f in after.families]}",
    )
    counts = after.samples(f"{DURATION}_count", method="GET", path=template)
    expect(
        bool(counts),
        "OBS-HTTP-01.labels",
        f"no {DURATION} series with method=GET and path={template!r}",
    )
    buckets = {
        float(s.labels["le"])
        for s in after.samples(f"{DURATION}_bucket", method="GET", path=template)
        if "le" in s.labels
    }
    missing = [b for b in SPEC_BUCKETS if b not in buckets]
    expect(
        not missing,
        "OBS-HTTP-01.buckets",
        f"{DURATION} for {template} lacks the spec's buckets {missing} (seconds); it has "
        f"{sorted(buckets)}",
    )
    observed = after.total(f"{DURATION}_count", method="GET", path=template) - before.total(
        f"{DURATION}_count", method="GET", path=template
    )
    expect(
        observed == COUNT,
        "OBS-HTTP-01.observed",
        f"{COUNT} requests to {template} added {observed:g} observations to {DURATION}",
    )


@check("OBS-HTTP-02")
def requests_are_counted(ctx: CheckContext) -> None:
    """Every request increments `http_requests_total`, labelled with method, path (the
    route template) and status code; so requests per second can be computed."""
    before = scrape(ctx)
    template, status = _hit_templated(ctx)
    after = scrape(ctx)
    labels = {"method": "GET", "path": template, "status_code": str(status)}
    expect(
        bool(after.samples(f"{REQUESTS}_total", **labels)),
        "OBS-HTTP-02.labels",
        f"no {REQUESTS}_total series with {labels}",
    )
    counted = after.total(f"{REQUESTS}_total", **labels) - before.total(
        f"{REQUESTS}_total", **labels
    )
    expect(
        counted == COUNT,
        "OBS-HTTP-02.counted",
        f"{COUNT} requests to {template} added {counted:g} to {REQUESTS}_total{labels}",
    )


@check("OBS-HTTP-03")
def errors_are_counted(ctx: CheckContext) -> None:
    """A 4xx answer increments `http_request_errors_total` with its status code and a
    bounded error type (not the message, not the path)."""
    before = scrape(ctx)
    client = ctx.client()
    nonce = new_id("missing")
    codes = {client.get(f"/{nonce}/{n}").status_code for n in range(COUNT)}
    status = codes.pop() if len(codes) == 1 else 0
    if not 400 <= status < 500:
        raise CheckSkipped(f"unknown paths answered {sorted(codes | {status})}, not one 4xx")
    after = scrape(ctx)
    name = f"{ERRORS}_total"
    counted = after.total(name, status_code=str(status)) - before.total(
        name, status_code=str(status)
    )
    expect(
        counted == COUNT,
        "OBS-HTTP-03.counted",
        f"{COUNT} answers {status} added {counted:g} to {name}{{status_code={status!r}}}",
    )
    moved = [
        s
        for s in after.samples(name, status_code=str(status))
        if s.value > before.total(name, **s.labels)
    ]
    untyped = [s.labels for s in moved if not s.labels.get("error_type")]
    expect(
        not untyped,
        "OBS-HTTP-03.error-type",
        f"{name} series without an error_type: {untyped}",
    )
    leaked = [s.labels for s in moved if nonce in s.labels.get("error_type", "")]
    expect(
        not leaked,
        "OBS-HTTP-03.bounded",
        f"the error_type of {name} carries the request path: {leaked}",
    )


@check("OBS-CARD-01")
def labels_stay_bounded(ctx: CheckContext) -> None:
    """However many distinct raw paths and ids clients send, no label carries them and
    the number of series stays the same."""
    raw, _ = templated(ctx)
    client = ctx.client()
    nonces: list[str] = []

    def burst() -> int:
        for n in range(20):
            nonce = new_id("card")
            nonces.append(nonce)
            client.get(f"/{nonce}/{n}")
            path = raw()
            nonces.append(path)
            client.get(path)
        return len(scrape(ctx).application_samples())

    first = burst()
    second = burst()
    final = scrape(ctx)
    leaked = sorted({v for v in final.label_values() for n in nonces if n in v})
    expect(
        not leaked,
        "OBS-CARD-01.no-raw-paths",
        f"label values carry the raw paths the suite sent: {leaked[:5]}",
    )
    expect(
        second == first,
        "OBS-CARD-01.flat",
        f"40 more requests to new paths and ids took the series from {first} to {second}",
    )
