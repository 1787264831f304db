"""The store as a feature: the ``[database]`` section and the application's
:class:`Database`, opened (tables created) when the application starts and closed when it
is disposed, and a health indicator for it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from apiconform.common.redaction import redact_text
from apiconform.reference.kernel.feature import Contribution
from apiconform.reference.kernel.health import HealthResult, HealthStatus
from apiconform.reference.kernel.providers import Provider
from apiconform.reference.store.config import DatabaseConfig
from apiconform.reference.store.database import Database, open_database

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


class DatabaseIndicator:
    """``SELECT 1`` on the app's database: up under ``slow_ms``, degraded above, down when
    it fails (the error, credentials masked, in the details)."""

    name = "database"
    critical = True

    def __init__(self, app: Application, *, timeout: float = 2.0, slow_ms: float = 1000.0):
        self._app = app
        self.timeout = timeout
        self.slow_ms = slow_ms

    async def check(self) -> HealthResult:
        started = time.perf_counter()
        try:
            database = await self._app.container.aresolve(Database)
            await database.ping()
        except Exception as exc:
            return HealthResult(
                HealthStatus.DOWN, {"error": redact_text(f"{type(exc).__name__}: {exc}")[:300]}
            )
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        status = HealthStatus.UP if elapsed < self.slow_ms else HealthStatus.DEGRADED
        return HealthResult(status, {"latency_ms": elapsed, "backend": database.backend})


class Store:
    """Provides the app's :class:`Database` (a singleton) from its ``[database]`` config."""

    name = "database"
    config_model = DatabaseConfig

    def setup(self, app: Application, config: DatabaseConfig) -> Contribution:
        async def database() -> Database:
            return await open_database(config.url, schema=config.schema_name)

        async def open_at_start(app: Application) -> None:
            await app.container.aresolve(Database)

        return Contribution(
            providers=[Provider(Database, use=database, lifetime="singleton")],
            health_indicators=[DatabaseIndicator(app)],
            on_start=[open_at_start],
        )
