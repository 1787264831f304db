"""What the observability feature keeps for one application: its health checks, metrics
registry, resource collector, tracer provider and the in-flight request count."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer

from apiconform.reference.kernel.health import HealthIndicator
from apiconform.reference.observability.config import ObservabilityConfig
from apiconform.reference.observability.endpoints import package_version
from apiconform.reference.observability.health import HealthChecks
from apiconform.reference.observability.metrics import AppMetrics
from apiconform.reference.observability.resources import LagMonitor, ResourceCollector
from apiconform.reference.observability.tracing import make_provider

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


class Telemetry:
    """The observability state of one application (nothing of it is process-wide)."""

    def __init__(
        self,
        app: Application,
        config: ObservabilityConfig,
        indicators: Sequence[HealthIndicator] = (),
    ) -> None:
        self.app = app
        self.config = config
        self.version = config.version or package_version()
        self.indicators: list[HealthIndicator] = list(indicators)
        self.health = HealthChecks(
            self.indicators,
            default_timeout=config.indicator_timeout,
            cache_seconds=config.ready_cache_seconds,
        )
        self.lag = LagMonitor(interval=config.lag_interval, warning_ms=config.lag_warning_ms)
        self.resources = ResourceCollector(self.lag)
        self.metrics = AppMetrics(
            {
                "environment": app.config.environment,
                "service": config.service,
                "version": self.version,
                "app_id": app.id,
                "scope_id": app.scope_id,
            },
            cap=config.max_label_values,
            sources=app.metrics_sources,
            extra=[self.resources],
        )
        self.provider: TracerProvider | None = None
        self.tracer: Tracer | None = None
        if config.tracing.enabled:
            self.provider = make_provider(
                config.tracing,
                {
                    "service.name": config.service,
                    "service.version": self.version,
                    "deployment.environment": app.config.environment,
                    "service.instance.id": app.id,
                },
            )
            self.tracer = self.provider.get_tracer("apiconform.reference", self.version)
        self.in_flight = 0
        self.completed_while_draining = 0
        self.cut = 0

    def shutdown_tracing(self) -> None:
        """Flush and close the span exporter (spans of the last requests included)."""
        if self.provider is not None:
            self.provider.force_flush(5000)
            self.provider.shutdown()
            self.provider = None
