"""Prometheus metrics of one application, in a registry of its own.

Nothing is process-wide: every application has its own :class:`AppMetrics` (two
applications in one process keep separate counts) and every series it exports carries the
``environment``, ``service``, ``version`` and ``app_id`` labels. HTTP series are labelled by
method, route template (``path``, never the raw path) and ``status_code``; a guard caps
the distinct label combinations of each metric, folding new paths into ``__overflow__``
with one warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from apiconform.common.logs import get_logger
from apiconform.reference.kernel.health import MetricsSource
from apiconform.reference.observability.config import DURATION_BUCKETS

_log = get_logger("apiconform.metrics")
OVERFLOW = "__overflow__"
UNMATCHED = "__unmatched__"
HTTP_LABELS = ("method", "path", "status_code")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
M = TypeVar("M", Counter, Gauge, Histogram)


def method_label(method: str) -> str:
    """The method as a label: the standard ones, anything else ``OTHER`` (bounded)."""
    return method if method in _METHODS else "OTHER"


class Labelled(Collector):
    """Another collector's families with constant labels added to every sample."""

    def __init__(self, inner: Any, labels: Mapping[str, str]) -> None:
        self._inner = inner
        self._labels = dict(labels)

    def collect(self) -> Iterator[Metric]:
        for family in self._inner.collect():
            copy = Metric(family.name, family.documentation, family.type, family.unit)
            copy.samples = [
                Sample(s.name, self._merge(s.labels), s.value, s.timestamp, s.exemplar)
                for s in family.samples
            ]
            yield copy

    def _merge(self, own: Mapping[str, str]) -> dict[str, str]:
        # a collector's label that clashes with a constant one is kept as exported_<name>,
        # as Prometheus does (python_info has its own "version")
        merged = dict(self._labels)
        for name, value in own.items():
            merged[f"exported_{name}" if name in self._labels else name] = value
        return merged


class SourcesCollector(Collector):
    """The samples of the features' :class:`MetricsSource` contributions, at scrape time."""

    def __init__(self, sources: Sequence[MetricsSource]) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        for source in self._sources:
            for sample in source.samples():
                name = sample.name
                if sample.kind == "counter":
                    name = name.removesuffix("_total")
                family = families.get(name)
                if family is None:
                    family = families[name] = Metric(name, sample.help, sample.kind)
                suffix = "_total" if sample.kind == "counter" else ""
                family.add_sample(f"{name}{suffix}", dict(sample.labels), sample.value)
        yield from families.values()


class CardinalityGuard:
    """At most ``cap`` distinct label combinations per metric; past it, the path of a new
    combination becomes ``__overflow__`` (with one warning per metric)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._seen: dict[str, set[tuple[str, ...]]] = {}
        self._warned: set[str] = set()

    def admit(self, metric: str, labels: tuple[str, ...], path_index: int = 1) -> tuple[str, ...]:
        seen = self._seen.setdefault(metric, set())
        if labels in seen:
            return labels
        if len(seen) < self.cap:
            seen.add(labels)
            return labels
        if metric not in self._warned:
            self._warned.add(metric)
            _log.warning(
                "metric label cap reached: new paths fold into __overflow__",
                metric=metric,
                cap=self.cap,
            )
        folded = (*labels[:path_index], OVERFLOW, *labels[path_index + 1 :])
        return folded

    def size(self, metric: str) -> int:
        return len(self._seen.get(metric, ()))


class AppMetrics:
    """The registry of one application: HTTP metrics, process and GC collectors, the
    features' metrics sources and custom metrics (:meth:`counter`, :meth:`histogram`,
    :meth:`gauge`), all under the application's constant labels."""

    def __init__(
        self,
        labels: Mapping[str, str],
        *,
        cap: int = 500,
        sources: Sequence[MetricsSource] = (),
        extra: Iterable[Collector] = (),
    ) -> None:
        self.labels = dict(labels)
        self.inner = CollectorRegistry(auto_describe=True)
        self.registry = CollectorRegistry()
        self.registry.register(Labelled(self.inner, self.labels))
        self.guard = CardinalityGuard(cap)
        self._custom: dict[str, Counter | Gauge | Histogram] = {}
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration in seconds, by method, route template and status code",
            HTTP_LABELS,
            buckets=DURATION_BUCKETS,
            registry=self.inner,
        )
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status code",
            HTTP_LABELS,
            registry=self.inner,
        )
        self.errors = Counter(
            "http_request_errors",
            "HTTP requests answered with a 4xx or 5xx status, by status code and error type",
            ("status_code", "error_type"),
            registry=self.inner,
        )
        self.in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being served",
            registry=self.inner,
        )
        plain = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=plain)
        GCCollector(registry=plain)
        PlatformCollector(registry=plain)
        plain.register(SourcesCollector(sources))
        for collector in extra:
            plain.register(collector)
        self.registry.register(Labelled(plain, self.labels))

    def observe(
        self, method: str, path: str | None, status: int, seconds: float, error: str | None
    ) -> None:
        """Record one answered request."""
        status_code = str(status)
        labels = self.guard.admit(
            "http_requests", (method_label(method), path or UNMATCHED, status_code)
        )
        self.requests.labels(*labels).inc()
        self.duration.labels(*labels).observe(seconds)
        if status >= 400:
            kind = error or ("client_error" if status < 500 else "server_error")
            error_labels = self.guard.admit("http_request_errors", (status_code, kind))
            self.errors.labels(*error_labels).inc()

    # -- custom metrics -----------------------------------------------------------------

    def counter(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
        """The application's counter ``name`` (created on first use)."""
        return self._metric(Counter, name, documentation, labelnames)

    def gauge(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
        return self._metric(Gauge, name, documentation, labelnames)

    def histogram(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        buckets: Sequence[float] = DURATION_BUCKETS,
    ) -> Histogram:
        return self._metric(Histogram, name, documentation, labelnames, buckets=buckets)

    def _metric(
        self,
        kind: type[M],
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        **options: Any,
    ) -> M:
        key = name.removesuffix("_total") if kind is Counter else name
        existing = self._custom.get(key) or self._custom.get(name.removesuffix("_total"))
        if existing is not None:
            if not isinstance(existing, kind):
                raise ValueError(f"metric {name!r} exists as a {type(existing).__name__}")
            return existing
        clash = set(labelnames) & set(self.labels)
        if clash:
            raise ValueError(f"label {sorted(clash)[0]!r} is set on every series already")
        metric = kind(key, documentation, tuple(labelnames), registry=self.inner, **options)
        self._custom[key] = metric
        return metric
