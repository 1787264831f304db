"""What features tell the health and metrics endpoints, without knowing who serves them.

A feature that owns a dependency contributes a :class:`HealthIndicator` for it (the store
its database, the throttler its Redis); a feature that counts things contributes a
:class:`MetricsSource`. The observability feature, when installed, runs the indicators
for readiness and status and exports the samples on ``/metrics``; without it they cost
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable


class HealthStatus(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class HealthResult:
    """One indicator's verdict; ``details`` are JSON-ready facts (latency, errors, ...)."""

    status: HealthStatus
    details: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class HealthIndicator(Protocol):
    """A dependency check. ``critical``: readiness fails when it is down. ``timeout``:
    seconds it gets before it counts as degraded. ``check`` must not raise for an
    unhealthy dependency (it says so); an exception counts as down."""

    @property
    def name(self) -> str: ...

    @property
    def critical(self) -> bool: ...

    @property
    def timeout(self) -> float: ...

    async def check(self) -> HealthResult: ...


MetricKind = Literal["counter", "gauge"]


@dataclass(frozen=True)
class MetricSample:
    """One value of one series: ``name`` in Prometheus style (``ratelimit_requests_total``),
    its ``kind``, ``help`` text and labels."""

    name: str
    kind: MetricKind
    help: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class MetricsSource(Protocol):
    """Something whose numbers the metrics endpoint exports, read at scrape time."""

    def samples(self) -> Iterable[MetricSample]: ...
