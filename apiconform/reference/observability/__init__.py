"""Health probes, Prometheus metrics, OpenTelemetry tracing and graceful shutdown: the
add-health-observability proposal as a feature of the kernel."""

from apiconform.reference.observability.config import ObservabilityConfig, TracingConfig
from apiconform.reference.observability.feature import Observability
from apiconform.reference.observability.indicators import health_indicator
from apiconform.reference.observability.metrics import AppMetrics
from apiconform.reference.observability.state import Telemetry
from apiconform.reference.observability.tracing import trace, traced_client

__all__ = [
    "AppMetrics",
    "Observability",
    "ObservabilityConfig",
    "Telemetry",
    "TracingConfig",
    "health_indicator",
    "trace",
    "traced_client",
]
