"""The ``[observability]`` config section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

# The spec's buckets (seconds), exactly: add-health-observability, "Track request duration".
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class TracingConfig(BaseModel):
    """OpenTelemetry tracing: where spans go and how many requests are sampled."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    exporter: Literal["none", "console", "otlp"] = "none"
    # OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces
    otlp_endpoint: str | None = None
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _otlp_needs_endpoint(self) -> TracingConfig:
        if self.exporter == "otlp" and not self.otlp_endpoint:
            raise ValueError("otlp_endpoint is required when exporter is 'otlp'")
        if self.otlp_endpoint and not self.otlp_endpoint.startswith(("http://", "https://")):
            raise ValueError("otlp_endpoint must be an http:// or https:// URL")
        return self


class ObservabilityConfig(BaseModel):
    """Health probes, Prometheus metrics, tracing and shutdown of one application."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(default="apiconform-reference", min_length=1, max_length=100)
    # the application version reported on /health/status and as a metrics label;
    # None: the installed apiconform version
    version: str | None = Field(default=None, max_length=100)

    live_path: str = "/health/live"
    ready_path: str = "/health/ready"
    status_path: str = "/health/status"
    metrics_path: str = "/metrics"
    # /health/status exposes versions and resource figures; with a token it needs
    # "Authorization: Bearer <token>"
    status_token: SecretStr | None = None
    metrics_token: SecretStr | None = None

    # seconds a readiness answer may be reused, so probe storms do not hammer dependencies
    ready_cache_seconds: float = Field(default=0.0, ge=0.0, le=60.0)
    # seconds an indicator gets when it does not say (indicators carry their own timeout)
    indicator_timeout: float = Field(default=2.0, gt=0.0, le=60.0)
    # RSS thresholds of the memory indicator against the memory limit (cgroup, else total)
    memory_limit_bytes: int | None = Field(default=None, gt=0)
    memory_degraded_ratio: float = Field(default=0.85, gt=0.0, le=1.0)
    memory_down_ratio: float = Field(default=0.95, gt=0.0, le=1.0)

    metrics_enabled: bool = True
    # distinct route labels per metric before new values fold into "__overflow__"
    max_label_values: int = Field(default=500, ge=1, le=100_000)
    # event-loop lag: sampled every interval, a warning logged above the threshold
    lag_interval: float = Field(default=0.5, gt=0.0, le=60.0)
    lag_warning_ms: float = Field(default=100.0, gt=0.0)

    # seconds readiness answers 503 before the server stops accepting connections, so a
    # load balancer sees it and takes the instance out first
    shutdown_delay: float = Field(default=0.0, ge=0.0, le=300.0)

    tracing: TracingConfig = Field(default_factory=TracingConfig)

    @field_validator("live_path", "ready_path", "status_path", "metrics_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/") or "?" in value or "#" in value:
            raise ValueError("must be an absolute path without query or fragment")
        return value

    @model_validator(mode="after")
    def _ratios_in_order(self) -> ObservabilityConfig:
        if self.memory_degraded_ratio >= self.memory_down_ratio:
            raise ValueError("memory_degraded_ratio must be below memory_down_ratio")
        paths = [self.live_path, self.ready_path, self.status_path, self.metrics_path]
        if len(set(paths)) != len(paths):
            raise ValueError("the health and metrics paths must differ")
        return self
