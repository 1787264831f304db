"""Health and observability as a feature of the kernel (the add-health-observability
proposal): the telemetry middleware outermost, probes and the Prometheus scrape, tracing,
the memory (and Redis) indicators, and a graceful stop.

Stopping: readiness answers 503 from the moment the stop begins (for ``shutdown_delay``
seconds the server still accepts connections, so load balancers see it), then the server
stops accepting and in-flight requests get the application's ``drain_timeout``; those
still running after it are cancelled and counted, with a warning.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp

from apiconform.common.logs import get_logger
from apiconform.reference.kernel.feature import Contribution, Layer, Middleware
from apiconform.reference.kernel.health import HealthIndicator
from apiconform.reference.kernel.providers import Provider
from apiconform.reference.observability.config import ObservabilityConfig
from apiconform.reference.observability.indicators import MemoryIndicator, RedisIndicator
from apiconform.reference.observability.metrics import AppMetrics
from apiconform.reference.observability.middleware import TelemetryMiddleware
from apiconform.reference.observability.state import Telemetry

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application

_log = get_logger("apiconform.shutdown")


class Observability:
    """``Observability(indicators=[...])``: custom health indicators, instances or
    ``@health_indicator`` classes (built by the application's container at start)."""

    name = "observability"
    config_model = ObservabilityConfig

    def __init__(self, *, indicators: Sequence[object] = ()) -> None:
        self.indicators = list(indicators)

    def setup(self, app: Application, config: ObservabilityConfig) -> Contribution:
        telemetry = Telemetry(app, config)
        own: list[HealthIndicator] = [
            MemoryIndicator(
                limit_bytes=config.memory_limit_bytes,
                degraded_ratio=config.memory_degraded_ratio,
                down_ratio=config.memory_down_ratio,
            )
        ]
        redis: RedisIndicator | None = None
        if app.config.cache.backend == "redis" and app.config.cache.redis_url:
            redis = RedisIndicator(app.config.cache.redis_url)
            own.append(redis)
        given = [
            i for i in self.indicators if not isinstance(i, type) and isinstance(i, HealthIndicator)
        ]
        classes = [i for i in self.indicators if isinstance(i, type)]
        _check_given(self.indicators, given, classes)

        def telemetry_layer(inner: ASGIApp) -> ASGIApp:
            return TelemetryMiddleware(inner, telemetry=telemetry)

        def collect(app: Application) -> None:
            for cls in classes:
                if not app.container.has(cls):
                    app.container.register(cls, cls, "singleton")
            telemetry.indicators[:] = [*app.health_indicators, *given]
            _check_names(app, telemetry.indicators)

        async def start(app: Application) -> None:
            built: list[HealthIndicator] = []
            for cls in classes:
                instance: HealthIndicator = await app.container.aresolve(cls)
                built.append(instance)
            telemetry.indicators[:] = [*app.health_indicators, *given, *built]
            _check_names(app, telemetry.indicators)
            telemetry.health.draining = False
            telemetry.cut = telemetry.completed_while_draining = 0
            telemetry.lag.start()

        async def stopping(app: Application) -> None:
            telemetry.health.draining = True
            _log.info(
                "draining: readiness answers 503",
                in_flight=telemetry.in_flight,
                drain_timeout=app.config.drain_timeout,
                shutdown_delay=config.shutdown_delay,
            )
            if config.shutdown_delay:
                await asyncio.sleep(config.shutdown_delay)

        async def stopped(app: Application) -> None:
            await telemetry.lag.stop()
            # uvicorn cancels what outlived the drain timeout without waiting for it
            telemetry.cut = max(telemetry.cut, telemetry.in_flight, app.requests_cut)
            if telemetry.cut:
                _log.warning(
                    "forced shutdown: requests cut after the drain timeout",
                    cut=telemetry.cut,
                    drain_timeout=app.config.drain_timeout,
                )
            _log.info(
                "drained",
                completed=telemetry.completed_while_draining,
                cut=telemetry.cut,
            )
            if telemetry.provider is not None:
                telemetry.provider.force_flush(5000)

        async def dispose(app: Application) -> None:
            telemetry.shutdown_tracing()
            if redis is not None:
                await redis.aclose()

        return Contribution(
            providers=[
                Provider(Telemetry, value=telemetry),
                Provider(AppMetrics, value=telemetry.metrics),
            ],
            middleware=[Middleware(Layer.TELEMETRY, telemetry_layer, "telemetry")],
            health_indicators=own,
            on_assembled=[collect],
            on_start=[start],
            on_stopping=[stopping],
            on_stop=[stopped],
            on_dispose=[dispose],
        )


def _check_names(app: Application, indicators: Sequence[Any]) -> None:
    names = [indicator.name for indicator in indicators]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        from apiconform.errors import ConfigError

        raise ConfigError(f"app {app.id!r}: two health indicators are named {duplicates[0]!r}")


def _check_given(given: Sequence[object], instances: list[Any], classes: list[Any]) -> None:
    for item in given:
        if isinstance(item, type):
            if not callable(getattr(item, "check", None)) or not hasattr(item, "name"):
                raise TypeError(f"{item.__name__} is not a @health_indicator class")
        elif item not in instances:
            raise TypeError(f"{item!r} is not a health indicator (name, critical, timeout, check)")
