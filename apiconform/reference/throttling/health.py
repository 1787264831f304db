"""The throttler's storage as a health indicator (not critical: the throttler keeps
serving from memory when its Redis is down, so readiness does not fail for it)."""

from __future__ import annotations

import time

from apiconform.reference.kernel.health import HealthResult, HealthStatus
from apiconform.reference.throttling.fallback import FallbackStorage
from apiconform.reference.throttling.storage import ThrottlerStorage


class StorageIndicator:
    name = "ratelimit"
    critical = False

    def __init__(self, storage: ThrottlerStorage, *, timeout: float = 1.0) -> None:
        self.storage = storage
        self.timeout = timeout

    async def check(self) -> HealthResult:
        storage = self.storage
        if not isinstance(storage, FallbackStorage):
            return HealthResult(HealthStatus.UP, {"storage": storage.name, "fallback": False})
        if storage.degraded:
            storage.kick()
            return HealthResult(
                HealthStatus.DEGRADED,
                {"storage": storage.name, "fallback": True, "outages": storage.outages},
            )
        started = time.perf_counter()
        try:
            await storage.primary.ping()
        except storage.errors as exc:
            storage.fail(exc)
            return HealthResult(
                HealthStatus.DEGRADED,
                {"storage": storage.name, "fallback": True, "outages": storage.outages},
            )
        latency = round((time.perf_counter() - started) * 1000, 1)
        return HealthResult(
            HealthStatus.UP, {"storage": storage.name, "fallback": False, "latency_ms": latency}
        )
