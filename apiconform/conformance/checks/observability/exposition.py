"""Reading a Prometheus scrape: parsed with prometheus_client's parsers (text or
OpenMetrics, as the target answered), never grepped."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families
from prometheus_client.samples import Sample

from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import CheckSkipped

# Process-wide collectors describe the runtime, not the application's requests.
RUNTIME_PREFIXES = ("process_", "python_", "nodejs_", "go_", "jvm_", "dotnet_", "ruby_")
DURATION = "http_request_duration_seconds"
REQUESTS = "http_requests"
ERRORS = "http_request_errors"


class ExpositionError(ValueError):
    """The body is not a Prometheus exposition."""


def parse(response: httpx.Response) -> list[Metric]:
    media = response.headers.get("content-type", "")
    reader = openmetrics_families if "openmetrics" in media else text_families
    try:
        return list(reader(response.text))
    except Exception as exc:
        raise ExpositionError(f"{type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class Scrape:
    families: list[Metric]

    def family(self, name: str) -> Metric | None:
        return next((f for f in self.families if f.name == name), None)

    def samples(self, name: str, **labels: str) -> list[Sample]:
        """The samples named ``name`` whose labels include ``labels``."""
        return [
            s
            for f in self.families
            for s in f.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]

    def total(self, name: str, **labels: str) -> float:
        return sum(s.value for s in self.samples(name, **labels))

    def application_samples(self) -> list[Sample]:
        return [
            s
            for f in self.families
            if not f.name.startswith(RUNTIME_PREFIXES)
            for s in f.samples
            if not s.name.endswith("_created")
        ]

    def label_values(self) -> Iterable[str]:
        for family in self.families:
            for sample in family.samples:
                yield from sample.labels.values()


def scrape(ctx: CheckContext) -> Scrape:
    """The target's metrics, parsed; skips (naming OBS-PROM-01) when there are none."""
    path = ctx.probe("observability.metrics")
    response = ctx.client().get(path)
    if response.status_code != 200:
        raise CheckSkipped(f"GET {path} answered {response.status_code} (see OBS-PROM-01)")
    try:
        return Scrape(parse(response))
    except ExpositionError as exc:
        raise CheckSkipped(
            f"GET {path} is not a Prometheus exposition (see OBS-PROM-01): {exc}"
        ) from None


def templated(ctx: CheckContext) -> tuple[Callable[[], str], str]:
    """A maker of raw paths of the manifest's templated route (fresh ids each call) and the
    template the target reports for them."""
    path: str = ctx.probe("observability.templated")
    template: str = ctx.probe("observability.template")
    if "{id}" not in path:
        raise CheckSkipped(f"observability.templated {path!r} has no {{id}} to fill in")

    def raw() -> str:
        return path.replace("{id}", str(100_000 + secrets.randbelow(10**9)))

    return raw, template
