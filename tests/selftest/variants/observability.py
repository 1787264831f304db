"""Variants of the demo's health probes and metrics (add-health-observability).

They patch stable names of the observability feature: the probe endpoints
(``observability.endpoints``), the metrics registry (``observability.metrics``) and the
labels the telemetry middleware derives from a request (``TelemetryMiddleware``).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from apiconform.reference.kernel import HealthStatus
from apiconform.reference.kernel.middleware import CORRELATION_ID_KEY
from apiconform.reference.observability import endpoints, resources
from apiconform.reference.observability import health as obs_health
from apiconform.reference.observability import metrics as obs_metrics
from apiconform.reference.observability import middleware as obs_middleware
from apiconform.reference.observability import tracing as obs_tracing
from apiconform.reference.observability.metrics import AppMetrics, Labelled
from apiconform.reference.observability.middleware import TelemetryMiddleware
from apiconform.reference.observability.state import Telemetry
from tests.selftest.variants.base import Variant, broken, register

OBSERVABILITY = "add-health-observability"
CLAIMS = (OBSERVABILITY,)
# the checks that read the scrape, and skip (naming OBS-PROM-01) without one
METRICS_CHECKS = (
    "OBS-HTTP-01",
    "OBS-HTTP-02",
    "OBS-HTTP-03",
    "OBS-CARD-01",
    "OBS-PROM-02",
    "OBS-RES-01",
    "OBS-RES-02",
    "OBS-RES-03",
    "OBS-CUST-01",
    "OBS-CUST-02",
)

Endpoint = Callable[[Telemetry, Scope], Awaitable[Response]]


def _answer(status: int, body: dict[str, Any]) -> Endpoint:
    async def endpoint(telemetry: Telemetry, scope: Scope) -> Response:
        return JSONResponse(body, status_code=status)

    return endpoint


def _rewrite(original: Endpoint, change: Callable[[Response], Response]) -> Endpoint:
    async def endpoint(telemetry: Telemetry, scope: Scope) -> Response:
        return change(await original(telemetry, scope))

    return endpoint


def _body(response: Response, edit: Callable[[bytes], bytes]) -> Response:
    headers = {k: v for k, v in response.headers.items() if k != "content-length"}
    return Response(edit(bytes(response.body)), response.status_code, headers=headers)


# -- liveness ---------------------------------------------------------------------------------


@broken(
    OBSERVABILITY,
    {"OBS-LIVE-01": "OBS-LIVE-01.status", "OBS-LIVE-02": "OBS-LIVE-02.details"},
    skips={"OBS-DB-02"},  # staying alive through the outage cannot be told
    claims=CLAIMS,
)
def liveness_answers_503() -> None:
    """Liveness answers 503 with an ok body."""
    endpoints.live = _answer(503, {"status": "ok"})


@broken(
    OBSERVABILITY,
    {"OBS-LIVE-01": "OBS-LIVE-01.body", "OBS-LIVE-02": "OBS-LIVE-02.status"},
    claims=CLAIMS,
)
def liveness_says_alive() -> None:
    """Liveness answers 200 {"status": "alive"}."""
    endpoints.live = _answer(200, {"status": "alive"})


@broken(OBSERVABILITY, {"OBS-LIVE-01": "OBS-LIVE-01.fast"}, claims=CLAIMS)
def slow_liveness() -> None:
    """Liveness checks something slow (150 ms) before answering."""
    original = endpoints.live

    async def live(telemetry: Telemetry, scope: Scope) -> Response:
        await asyncio.sleep(0.15)
        return await original(telemetry, scope)

    endpoints.live = live


# -- readiness --------------------------------------------------------------------------------


@broken(
    OBSERVABILITY,
    {"OBS-READY-01": "OBS-READY-01.status"},
    skips={"OBS-DB-02", "OBS-READY-02"},  # readiness is not 200 before the cut
    claims=CLAIMS,
)
def readiness_answers_503() -> None:
    """Readiness answers 503 although every dependency is up."""
    endpoints.ready = _rewrite(endpoints.ready, lambda r: _status(r, 503))


def _status(response: Response, status: int) -> Response:
    response.status_code = status
    return response


@broken(OBSERVABILITY, {"OBS-READY-01": "OBS-READY-01.body"}, claims=CLAIMS)
def readiness_says_ok() -> None:
    """Readiness says "status": "ok" instead of "ready"."""
    endpoints.ready = _rewrite(
        endpoints.ready,
        lambda r: _body(r, lambda b: b.replace(b'"status":"ready"', b'"status":"ok"', 1)),
    )


@broken(
    OBSERVABILITY,
    {
        "OBS-READY-01": "OBS-READY-01.dependencies",
        "OBS-IND-01": "OBS-IND-01.ready",
        "OBS-IND-02": "OBS-IND-02.degraded",
        # an outage never shows: readiness stays 200 without a database indicator
        "OBS-DB-02": "OBS-DB-02.readiness",
        "OBS-READY-02": "OBS-READY-02.status",
    },
    skips={"OBS-DB-01"},  # no database indicator to read
    claims=CLAIMS,
)
def readiness_without_dependencies() -> None:
    """Readiness answers 200 {"status": "ready"} without any dependency's status."""
    endpoints.ready = _answer(200, {"status": "ready"})


# -- the scrape -------------------------------------------------------------------------------


@broken(
    OBSERVABILITY,
    {"OBS-PROM-01": "OBS-PROM-01.status"},
    claims=CLAIMS,
    skips=METRICS_CHECKS,
)
def metrics_need_a_login() -> None:
    """/metrics answers 401 to every scraper."""
    endpoints.metrics = _answer(401, {"error": "login required"})


@broken(OBSERVABILITY, {"OBS-PROM-01": "OBS-PROM-01.media-type"}, claims=CLAIMS)
def metrics_as_json_media_type() -> None:
    """/metrics sends the exposition labelled application/json."""

    def relabel(response: Response) -> Response:
        response.headers["content-type"] = "application/json"
        return response

    endpoints.metrics = _rewrite(endpoints.metrics, relabel)


@broken(
    OBSERVABILITY,
    {"OBS-PROM-01": "OBS-PROM-01.parses"},
    claims=CLAIMS,
    skips=METRICS_CHECKS,
)
def metrics_do_not_parse() -> None:
    """/metrics ends with a line that is not exposition syntax."""
    endpoints.metrics = _rewrite(
        endpoints.metrics, lambda r: _body(r, lambda b: b + b"requests served: many\n")
    )


@broken(OBSERVABILITY, {"OBS-PROM-01": "OBS-PROM-01.help-type"}, claims=CLAIMS)
def metrics_without_help() -> None:
    """/metrics drops every HELP line."""

    def strip(body: bytes) -> bytes:
        return b"\n".join(x for x in body.split(b"\n") if not x.startswith(b"# HELP"))

    endpoints.metrics = _rewrite(endpoints.metrics, lambda r: _body(r, strip))


@broken(OBSERVABILITY, {"OBS-PROM-01": "OBS-PROM-01.fast"}, claims=CLAIMS)
def slow_scrape() -> None:
    """/metrics takes 600 ms to collect."""
    original = endpoints.metrics

    async def metrics(telemetry: Telemetry, scope: Scope) -> Response:
        await asyncio.sleep(0.6)
        return await original(telemetry, scope)

    endpoints.metrics = metrics


# -- request metrics --------------------------------------------------------------------------


@broken(OBSERVABILITY, {"OBS-HTTP-01": "OBS-HTTP-01.histogram"}, claims=CLAIMS)
def durations_in_a_summary() -> None:
    """Request durations go into a summary (count and sum, no buckets)."""
    from prometheus_client import Summary

    init = AppMetrics.__init__

    def with_summary(self: AppMetrics, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.inner.unregister(self.duration)
        self.duration = Summary(  # type: ignore[assignment]
            "http_request_duration_seconds",
            "HTTP request duration in seconds",
            obs_metrics.HTTP_LABELS,
            registry=self.inner,
        )

    AppMetrics.__init__ = with_summary  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-HTTP-01": "OBS-HTTP-01.buckets"}, claims=CLAIMS)
def millisecond_buckets() -> None:
    """The seconds histogram has its buckets in milliseconds."""
    obs_metrics.DURATION_BUCKETS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


def _observe_wrapped(extra: Callable[[AppMetrics, str, str | None, int, float], None]) -> None:
    original = AppMetrics.observe

    def observe(
        self: AppMetrics,
        method: str,
        path: str | None,
        status: int,
        seconds: float,
        error: str | None,
    ) -> None:
        original(self, method, path, status, seconds, error)
        extra(self, method, path, status, seconds)

    AppMetrics.observe = observe  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-HTTP-01": "OBS-HTTP-01.observed"}, claims=CLAIMS)
def durations_observed_twice() -> None:
    """Each request's duration is observed twice."""

    def again(self: AppMetrics, method: str, path: str | None, status: int, s: float) -> None:
        key = (method, path or obs_metrics.UNMATCHED, str(status))
        labels = self.guard.admit("http_requests", key)
        self.duration.labels(*labels).observe(s)

    _observe_wrapped(again)


@broken(OBSERVABILITY, {"OBS-HTTP-02": "OBS-HTTP-02.counted"}, claims=CLAIMS)
def requests_counted_twice() -> None:
    """Each request increments the request counter twice."""

    def again(self: AppMetrics, method: str, path: str | None, status: int, s: float) -> None:
        key = (method, path or obs_metrics.UNMATCHED, str(status))
        labels = self.guard.admit("http_requests", key)
        self.requests.labels(*labels).inc()

    _observe_wrapped(again)


@broken(
    OBSERVABILITY,
    {
        "OBS-HTTP-01": "OBS-HTTP-01.labels",
        "OBS-HTTP-02": "OBS-HTTP-02.labels",
        "OBS-CARD-01": "OBS-CARD-01.no-raw-paths",
    },
    claims=CLAIMS,
)
def raw_path_labels() -> None:
    """The path label is the raw request path, not the route template."""
    TelemetryMiddleware.path_label = staticmethod(lambda scope: scope["path"])  # type: ignore[method-assign]


def _wrap_errors(wrap: Callable[[Any], Any]) -> None:
    """Replace each application's error counter with ``wrap(counter)``."""
    original = AppMetrics.__init__

    def init(self: AppMetrics, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.errors = wrap(self.errors)

    AppMetrics.__init__ = init  # type: ignore[method-assign]


class _Nothing:
    def labels(self, *_: str) -> _Nothing:
        return self

    def inc(self, amount: float = 1) -> None:
        pass


class _Blank:
    def __init__(self, counter: Any) -> None:
        self.counter = counter

    def labels(self, status_code: str, error_type: str) -> Any:
        return self.counter.labels(status_code, "")


@broken(OBSERVABILITY, {"OBS-HTTP-03": "OBS-HTTP-03.counted"}, claims=CLAIMS)
def errors_not_counted() -> None:
    """Error answers never reach the error counter."""
    _wrap_errors(lambda counter: _Nothing())


@broken(OBSERVABILITY, {"OBS-HTTP-03": "OBS-HTTP-03.error-type"}, claims=CLAIMS)
def errors_without_type() -> None:
    """The error counter's error_type is empty."""
    _wrap_errors(_Blank)


@broken(
    OBSERVABILITY,
    {"OBS-HTTP-03": "OBS-HTTP-03.bounded", "OBS-CARD-01": "OBS-CARD-01.no-raw-paths"},
    claims=CLAIMS,
)
def error_type_is_the_path() -> None:
    """The error counter's error_type is the request path."""
    TelemetryMiddleware.error_label = staticmethod(  # type: ignore[method-assign]
        lambda scope, status: scope["path"] if status >= 400 else None
    )


@broken(OBSERVABILITY, {"OBS-CARD-01": "OBS-CARD-01.flat"}, claims=CLAIMS)
def request_id_label() -> None:
    """Every request adds a series labelled with a fresh request id."""

    def by_id(self: AppMetrics, method: str, path: str | None, status: int, s: float) -> None:
        counter = self.counter("http_requests_by_id", "Requests by id", ["request_id"])
        counter.labels(secrets.token_hex(6)).inc()

    _observe_wrapped(by_id)


# -- labels and resources -------------------------------------------------------------------


@broken(OBSERVABILITY, {"OBS-PROM-02": "OBS-PROM-02.constant-labels"}, claims=CLAIMS)
def series_without_environment() -> None:
    """No series carries the environment label."""
    merge = Labelled._merge

    def without(self: Labelled, own: Mapping[str, str]) -> dict[str, str]:
        merged = merge(self, own)
        merged.pop("environment", None)
        return merged

    Labelled._merge = without  # type: ignore[method-assign]


@broken(
    OBSERVABILITY,
    {"OBS-PROM-02": "OBS-PROM-02.http-labels", "OBS-HTTP-02": "OBS-HTTP-02.labels"},
    claims=CLAIMS,
)
def status_label_named_status() -> None:
    """The HTTP series call their status label `status`, not `status_code`."""
    obs_metrics.HTTP_LABELS = ("method", "path", "status")


@broken(
    OBSERVABILITY,
    {"OBS-PROM-02": "OBS-PROM-02.no-request-ids", "OBS-CARD-01": "OBS-CARD-01.flat"},
    claims=CLAIMS,
)
def correlation_id_as_error_type() -> None:
    """The error counter's error_type is the request's correlation id."""
    TelemetryMiddleware.error_label = staticmethod(  # type: ignore[method-assign]
        lambda scope, status: scope.get(CORRELATION_ID_KEY) if status >= 400 else None
    )


def _drop(prefix: bytes) -> None:
    """/metrics without the families whose names start with ``prefix``."""

    def strip(body: bytes) -> bytes:
        kept = []
        for line in body.split(b"\n"):
            words = line.split(b" ")
            name = words[2] if line.startswith(b"# ") and len(words) > 2 else line
            if not name.startswith(prefix):
                kept.append(line)
        return b"\n".join(kept)

    endpoints.metrics = _rewrite(endpoints.metrics, lambda r: _body(r, strip))


@broken(OBSERVABILITY, {"OBS-RES-01": "OBS-RES-01.resident"}, claims=CLAIMS)
def no_resident_memory() -> None:
    """/metrics has no resident memory gauge."""
    _drop(b"process_resident_memory")


@broken(OBSERVABILITY, {"OBS-RES-01": "OBS-RES-01.gc"}, claims=CLAIMS)
def no_gc_statistics() -> None:
    """/metrics has no garbage collection figures."""
    _drop(b"python_gc_")


@broken(OBSERVABILITY, {"OBS-RES-02": "OBS-RES-02.user-system"}, claims=CLAIMS)
def cpu_time_without_modes() -> None:
    """/metrics has only the total CPU time, not user and system."""
    _drop(b"process_cpu_mode_seconds")


@broken(OBSERVABILITY, {"OBS-RES-02": "OBS-RES-02.percent"}, claims=CLAIMS)
def no_cpu_percentage() -> None:
    """/metrics has no CPU usage percentage."""
    _drop(b"process_cpu_percent")


@broken(OBSERVABILITY, {"OBS-RES-02": "OBS-RES-02.refreshed"}, claims=CLAIMS)
def cpu_time_read_once() -> None:
    """CPU figures are read once, at start, and never again."""
    snapshot = resources.ResourceCollector.snapshot
    first: dict[int, dict[str, Any]] = {}

    def frozen(self: resources.ResourceCollector) -> dict[str, Any]:
        figures = snapshot(self)
        kept = first.setdefault(id(self), figures)
        return {
            **figures,
            "cpu_user_seconds": kept["cpu_user_seconds"],
            "cpu_system_seconds": kept["cpu_system_seconds"],
        }

    resources.ResourceCollector.snapshot = frozen  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-RES-03": "OBS-RES-03.gauge"}, claims=CLAIMS)
def no_event_loop_lag() -> None:
    """/metrics has no event-loop lag."""
    _drop(b"event_loop_lag")


@broken(OBSERVABILITY, {"OBS-RES-03": "OBS-RES-03.seconds"}, claims=CLAIMS)
def event_loop_lag_in_milliseconds() -> None:
    """The event-loop lag gauge is in milliseconds."""
    endpoints.metrics = _rewrite(
        endpoints.metrics,
        lambda r: _body(r, lambda b: b.replace(b"event_loop_lag_seconds", b"event_loop_lag_ms")),
    )


# -- probes: liveness switch, custom indicator, custom metrics ------------------------------


@broken(OBSERVABILITY, {"OBS-LIVE-02": "OBS-LIVE-02.status"}, claims=CLAIMS)
def liveness_ignores_a_broken_application() -> None:
    """Liveness answers 200 ok whatever state the application is in."""
    endpoints.live = _answer(200, {"status": "ok"})


@broken(OBSERVABILITY, {"OBS-LIVE-02": "OBS-LIVE-02.details"}, claims=CLAIMS)
def broken_liveness_without_details() -> None:
    """A broken application's liveness answers 503 {"status": "error"} and nothing else."""
    answer = obs_health.HealthChecks.liveness_answer

    def bare(self: obs_health.HealthChecks) -> tuple[int, dict[str, Any]]:
        status, body = answer(self)
        return (status, {"status": "error"}) if status == 503 else (status, body)

    obs_health.HealthChecks.liveness_answer = bare  # type: ignore[method-assign]


def _without_indicator(original: Endpoint) -> Endpoint:
    def strip(response: Response) -> Response:
        body = json.loads(bytes(response.body))
        body.get("checks", {}).pop("external-api", None)
        return JSONResponse(body, status_code=response.status_code)

    return _rewrite(original, strip)


@broken(
    OBSERVABILITY,
    {"OBS-IND-01": "OBS-IND-01.ready", "OBS-IND-02": "OBS-IND-02.degraded"},
    claims=CLAIMS,
)
def readiness_leaves_out_custom_indicators() -> None:
    """Readiness reports the built-in dependencies only."""
    endpoints.ready = _without_indicator(endpoints.ready)


@broken(
    OBSERVABILITY,
    {"OBS-IND-01": "OBS-IND-01.status", "OBS-STAT-01": "OBS-STAT-01.indicators"},
    claims=CLAIMS,
)
def status_leaves_out_custom_indicators() -> None:
    """The status endpoint reports the built-in dependencies only."""
    endpoints.status = _without_indicator(endpoints.status)


@broken(
    OBSERVABILITY,
    {
        "OBS-IND-01": "OBS-IND-01.called",
        "OBS-IND-02": "OBS-IND-02.degraded",
        # the first results stand for ever: a database outage never shows
        "OBS-DB-02": "OBS-DB-02.readiness",
        "OBS-READY-02": "OBS-READY-02.status",
    },
    claims=CLAIMS,
)
def indicators_checked_once() -> None:
    """The indicators run once; every later readiness answer repeats the first results."""
    run = obs_health.HealthChecks.run
    first: dict[int, list[obs_health.CheckOutcome]] = {}

    async def once(
        self: obs_health.HealthChecks, names: Any = None
    ) -> list[obs_health.CheckOutcome]:
        if id(self) not in first:
            first[id(self)] = await run(self, names)
        return first[id(self)]

    obs_health.HealthChecks.run = once  # type: ignore[method-assign]


def _on_timeouts(change: Callable[[obs_health.CheckOutcome], obs_health.CheckOutcome]) -> None:
    original = obs_health.run_indicator

    async def run_indicator(indicator: Any, default_timeout: float) -> obs_health.CheckOutcome:
        outcome = await original(indicator, default_timeout)
        return change(outcome) if "timeout_ms" in outcome.details else outcome

    obs_health.run_indicator = run_indicator


@broken(OBSERVABILITY, {"OBS-IND-02": "OBS-IND-02.degraded"}, claims=CLAIMS)
def timeouts_count_as_down() -> None:
    """An indicator that times out is reported down."""
    _on_timeouts(lambda o: dataclasses.replace(o, status=HealthStatus.DOWN))


@broken(OBSERVABILITY, {"OBS-IND-02": "OBS-IND-02.timeout-info"}, claims=CLAIMS)
def timeouts_without_information() -> None:
    """A timed-out indicator is degraded without saying it timed out."""
    _on_timeouts(lambda o: dataclasses.replace(o, details={}))


@broken(OBSERVABILITY, {"OBS-IND-02": "OBS-IND-02.others"}, claims=CLAIMS)
def a_timeout_hides_the_others() -> None:
    """When one indicator times out, readiness reports only that one."""
    run = obs_health.HealthChecks.run

    async def hiding(
        self: obs_health.HealthChecks, names: Any = None
    ) -> list[obs_health.CheckOutcome]:
        outcomes = await run(self, names)
        slow = [o for o in outcomes if "timeout_ms" in o.details]
        return slow or outcomes

    obs_health.HealthChecks.run = hiding  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-CUST-01": "OBS-CUST-01.exported"}, claims=CLAIMS)
def custom_counters_not_exported() -> None:
    """Custom counters count in a registry nobody exports."""
    from prometheus_client import CollectorRegistry, Counter

    def counter(self: AppMetrics, name: str, documentation: str, labelnames: Any = ()) -> Any:
        hidden = self.__dict__.setdefault("_hidden", {})
        if name not in hidden:
            hidden[name] = Counter(name, documentation, labelnames, registry=CollectorRegistry())
        return hidden[name]

    AppMetrics.counter = counter  # type: ignore[method-assign]


class _Twice:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def labels(self, *values: str) -> _Twice:
        return _Twice(self.inner.labels(*values))

    def inc(self, amount: float = 1) -> None:
        self.inner.inc(amount * 2)


@broken(OBSERVABILITY, {"OBS-CUST-01": "OBS-CUST-01.counted"}, claims=CLAIMS)
def custom_counters_count_twice() -> None:
    """A custom counter's inc() adds two."""
    counter = AppMetrics.counter

    def twice(self: AppMetrics, *args: Any, **kwargs: Any) -> Any:
        return _Twice(counter(self, *args, **kwargs))

    AppMetrics.counter = twice  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-CUST-02": "OBS-CUST-02.histogram"}, claims=CLAIMS)
def custom_histograms_are_summaries() -> None:
    """Custom histograms are exported as summaries (count and sum, no buckets)."""
    from prometheus_client import Summary

    def summary(self: AppMetrics, name: str, documentation: str, *args: Any, **kw: Any) -> Any:
        return self._metric(Summary, name, documentation, ())  # type: ignore[type-var]

    AppMetrics.histogram = summary  # type: ignore[method-assign]


class _Doubled:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def observe(self, amount: float) -> None:
        self.inner.observe(amount * 2)


@broken(OBSERVABILITY, {"OBS-CUST-02": "OBS-CUST-02.sum-count"}, claims=CLAIMS)
def custom_histograms_record_doubled_values() -> None:
    """A custom histogram records twice the value it is given."""
    histogram = AppMetrics.histogram

    def doubled(self: AppMetrics, *args: Any, **kwargs: Any) -> Any:
        return _Doubled(histogram(self, *args, **kwargs))

    AppMetrics.histogram = doubled  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-CUST-02": "OBS-CUST-02.buckets"}, claims=CLAIMS)
def custom_histogram_buckets_stay_empty() -> None:
    """The custom histogram's buckets always read zero (its sum and count are right)."""
    pattern = re.compile(rb"^(order_amount_bucket\{[^}]*\}) \S+$", re.M)
    endpoints.metrics = _rewrite(
        endpoints.metrics, lambda r: _body(r, lambda b: pattern.sub(rb"\1 0.0", b))
    )


# -- status -----------------------------------------------------------------------------------


def _status_without(pattern: str) -> None:
    """/health/status without the members whose names match ``pattern``, at any depth."""
    key = re.compile(pattern, re.I)

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: prune(v) for k, v in value.items() if not key.search(k)}
        if isinstance(value, list):
            return [prune(v) for v in value]
        return value

    def strip(response: Response) -> Response:
        body = prune(json.loads(bytes(response.body)))
        return JSONResponse(body, status_code=response.status_code)

    endpoints.status = _rewrite(endpoints.status, strip)


@broken(OBSERVABILITY, {"OBS-STAT-01": "OBS-STAT-01.status"}, claims=CLAIMS)
def status_answers_500() -> None:
    """The status endpoint answers 500 with its body."""
    endpoints.status = _rewrite(endpoints.status, lambda r: _status(r, 500))


@broken(OBSERVABILITY, {"OBS-STAT-01": "OBS-STAT-01.memory"}, claims=CLAIMS)
def status_without_memory() -> None:
    """The status reports no memory figure."""
    _status_without(r"memory|rss|heap|vms")


@broken(OBSERVABILITY, {"OBS-STAT-01": "OBS-STAT-01.cpu"}, claims=CLAIMS)
def status_without_cpu() -> None:
    """The status reports no CPU figure."""
    _status_without(r"cpu")


@broken(OBSERVABILITY, {"OBS-STAT-01": "OBS-STAT-01.uptime"}, claims=CLAIMS)
def status_without_uptime() -> None:
    """The status reports no uptime."""
    _status_without(r"uptime")


@broken(OBSERVABILITY, {"OBS-STAT-01": "OBS-STAT-01.version"}, claims=CLAIMS)
def status_without_version() -> None:
    """The status reports no version."""
    _status_without(r"version")


@broken(OBSERVABILITY, {"OBS-STAT-01": "OBS-STAT-01.environment"}, claims=CLAIMS)
def status_without_environment() -> None:
    """The status reports no environment."""
    _status_without(r"^env")


# -- trace propagation ------------------------------------------------------------------------


class _Propagator:
    """The feature's W3C propagator, with ``after_inject`` applied to what it injects."""

    def __init__(self, after_inject: Callable[[dict[str, str]], None]) -> None:
        self.real = obs_tracing.PROPAGATOR
        self.after_inject = after_inject

    def extract(self, carrier: Any, *args: Any, **kwargs: Any) -> Any:
        return self.real.extract(carrier, *args, **kwargs)

    def inject(self, carrier: dict[str, str], *args: Any, **kwargs: Any) -> None:
        self.real.inject(carrier, *args, **kwargs)
        self.after_inject(carrier)


def _propagate(after_inject: Callable[[dict[str, str]], None]) -> None:
    obs_tracing.PROPAGATOR = _Propagator(after_inject)  # type: ignore[assignment]


@broken(OBSERVABILITY, {"OBS-TRACE-03": "OBS-TRACE-03.injected"}, claims=CLAIMS)
def outbound_without_trace_context() -> None:
    """Outbound calls carry no trace headers."""
    _propagate(lambda carrier: carrier.clear())


@broken(OBSERVABILITY, {"OBS-TRACE-03": "OBS-TRACE-03.tracestate"}, claims=CLAIMS)
def outbound_drops_tracestate() -> None:
    """Outbound calls carry traceparent but drop the incoming tracestate."""
    _propagate(lambda carrier: carrier.pop("tracestate", None))


_INCOMING: contextvars.ContextVar[str | None] = contextvars.ContextVar("incoming", default=None)


@broken(OBSERVABILITY, {"OBS-TRACE-03": "OBS-TRACE-03.new-parent"}, claims=CLAIMS)
def outbound_forwards_traceparent_verbatim() -> None:
    """Outbound calls repeat the incoming traceparent as it came."""
    extract = obs_middleware.extract_context

    def remembered(headers: list[tuple[bytes, bytes]]) -> Any:
        for name, value in headers:
            if name == b"traceparent":
                _INCOMING.set(value.decode())
        return extract(headers)

    def verbatim(carrier: dict[str, str]) -> None:
        incoming = _INCOMING.get()
        if incoming:
            carrier["traceparent"] = incoming

    obs_middleware.extract_context = remembered
    _propagate(verbatim)


@broken(OBSERVABILITY, {"OBS-TRACE-03": "OBS-TRACE-03.same-trace"}, claims=CLAIMS)
def incoming_trace_context_ignored() -> None:
    """Every request starts a trace of its own, whatever traceparent it brought."""
    obs_middleware.extract_context = lambda headers: obs_tracing.extract_context([])


@broken(OBSERVABILITY, {"OBS-TRACE-03": "OBS-TRACE-03.new-trace"}, claims=CLAIMS)
def one_trace_for_untraced_requests() -> None:
    """Requests without a traceparent all join one fixed trace."""
    extract = obs_middleware.extract_context
    fixed = (b"traceparent", b"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01")

    def joined(headers: list[tuple[bytes, bytes]]) -> Any:
        if any(name == b"traceparent" for name, _ in headers):
            return extract(headers)
        return extract([fixed])

    obs_middleware.extract_context = joined


# -- correct but different ----------------------------------------------------------------


def _legit(fn: Callable[[], None]) -> Callable[[], None]:
    register(
        Variant(fn.__name__.replace("_", "-"), (OBSERVABILITY,), fn, legit=True, claims=CLAIMS)
    )
    return fn


@_legit
def openmetrics_and_more_buckets() -> None:
    """OpenMetrics whatever the scraper asks, a superset of the spec's buckets and an
    extra label on every series."""
    original = endpoints.metrics

    async def metrics(telemetry: Telemetry, scope: Scope) -> Response:
        accept = (b"accept", b"application/openmetrics-text; version=1.0.0")
        headers = [h for h in scope.get("headers", []) if h[0] != b"accept"]
        return await original(telemetry, {**scope, "headers": [*headers, accept]})

    endpoints.metrics = metrics
    obs_metrics.DURATION_BUCKETS = (0.001, *obs_metrics.DURATION_BUCKETS, 30.0, 60.0)
    merge = Labelled._merge

    def with_region(self: Labelled, own: Mapping[str, str]) -> dict[str, str]:
        return {**merge(self, own), "region": "eu-west"}

    Labelled._merge = with_region  # type: ignore[method-assign]


@_legit
def terminus_style_health() -> None:
    """Probes shaped like NestJS Terminus: extra members, dependencies under info and
    details (failed ones under error, with a message), an epoch-millisecond time,
    liveness with an uptime."""
    live = endpoints.live

    async def terminus_live(telemetry: Telemetry, scope: Scope) -> Response:
        response = await live(telemetry, scope)
        if response.status_code != 200:
            return response
        return JSONResponse({"status": "ok", "uptime": 12.5, "info": {}})

    endpoints.live = terminus_live
    original = endpoints.ready

    async def ready(telemetry: Telemetry, scope: Scope) -> Response:
        outcomes = await telemetry.health.run()
        details = {o.name: {"status": str(o.status), **o.details} for o in outcomes}
        failed = {o.name for o in outcomes if o.fails_readiness}
        error = {
            name: {"status": "down", "message": str(entry.pop("error", "unreachable"))}
            for name, entry in details.items()
            if name in failed
        }
        info = {name: entry for name, entry in details.items() if name not in failed}
        body = {
            "status": "error" if failed else "ready",
            "info": info,
            "error": error,
            "details": {**info, **error},
            "checkedAt": int(time.time() * 1000),  # epoch milliseconds
        }
        return JSONResponse(body, status_code=503 if failed else 200)

    endpoints.ready = ready
    del original
