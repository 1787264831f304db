"""The store feature: the database provider and its health indicator."""

from __future__ import annotations

import pytest

from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    HealthIndicator,
    HealthStatus,
)
from apiconform.reference.store import Database, Store
from apiconform.reference.store.feature import DatabaseIndicator


async def test_the_database_indicator_reports_up_with_its_latency(
    registry: AppRegistry, database_config: dict[str, str]
) -> None:
    app = ApplicationFactory.create(
        id="s",
        scope="agent",
        config={"database": database_config},
        features=[Store()],
        registry=registry,
    )
    [indicator] = app.health_indicators
    assert isinstance(indicator, HealthIndicator)
    assert (indicator.name, indicator.critical) == ("database", True)
    result = await indicator.check()
    assert result.status is HealthStatus.UP
    assert result.details["latency_ms"] >= 0
    assert result.details["backend"] in ("sqlite", "postgresql")
    slow = DatabaseIndicator(app, slow_ms=0)
    assert (await slow.check()).status is HealthStatus.DEGRADED
    await app.dispose()


async def test_an_unreachable_database_is_down_without_its_password(
    registry: AppRegistry,
) -> None:
    url = "postgresql://app:pw-hidden@127.0.0.1:1/x"
    app = ApplicationFactory.create(
        id="s",
        scope="agent",
        config={"database": {"url": url}},
        features=[Store()],
        registry=registry,
    )
    result = await app.health_indicators[0].check()
    assert result.status is HealthStatus.DOWN
    assert "pw-hidden" not in str(result.details)
    assert result.details["error"]
    await app.dispose()


@pytest.mark.parametrize("start", [True, False])
async def test_the_database_is_opened_at_start_or_on_first_use(
    registry: AppRegistry, start: bool
) -> None:
    app = ApplicationFactory.create(
        id="s", scope="agent", config={"port": 0}, features=[Store()], registry=registry
    )
    if start:
        await app.start()
    database = await app.container.aresolve(Database)
    await database.ping()
    await app.dispose()
