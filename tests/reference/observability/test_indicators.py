"""The memory and Redis indicators, @health_indicator, the lag monitor and the feature's
checks of what it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.errors import ConfigError
from apiconform.mocks.redis import RedisHandle
from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    HealthResult,
    HealthStatus,
    service,
)
from apiconform.reference.observability import Observability, Telemetry, health_indicator
from apiconform.reference.observability.indicators import (
    MemoryIndicator,
    RedisIndicator,
    cgroup_memory_limit,
    process_memory,
)
from apiconform.reference.observability.resources import LagMonitor
from tests.conftest import LogCapture
from tests.reference.observability.conftest import Served

GIB = 1 << 30


def memory(rss: int, limit: int = GIB) -> MemoryIndicator:
    return MemoryIndicator(measure=lambda: (rss, limit))


async def test_memory_below_85_percent_is_up_with_current_usage() -> None:
    result = await memory(int(GIB * 0.5)).check()
    assert result.status is HealthStatus.UP
    assert result.details["usage_percent"] == 50.0
    assert result.details["rss_bytes"] == GIB // 2
    assert result.details["limit_bytes"] == GIB


async def test_memory_between_85_and_95_percent_is_degraded() -> None:
    assert (await memory(int(GIB * 0.9)).check()).status is HealthStatus.DEGRADED


async def test_memory_above_95_percent_is_down_warns_and_reports_gc(logs: LogCapture) -> None:
    result = await memory(int(GIB * 0.97)).check()
    assert result.status is HealthStatus.DOWN
    assert set(result.details["gc"]) == {"counts", "collections", "collected"}
    [warning] = logs.lines(message="memory usage critical: potential memory leak")
    assert warning["level"] == "warning"
    assert warning["usage_percent"] == 97.0


async def test_a_configured_memory_limit_wins_over_the_measured_one() -> None:
    indicator = MemoryIndicator(limit_bytes=2 * GIB, measure=lambda: (GIB, 100 * GIB))
    assert (await indicator.check()).details["usage_percent"] == 50.0


def test_the_cgroup_limit_is_read_when_there_is_one(tmp_path: Path) -> None:
    unlimited = tmp_path / "memory.max"
    unlimited.write_text("max\n")
    limited = tmp_path / "limit_in_bytes"
    limited.write_text("536870912\n")
    huge = tmp_path / "huge"
    huge.write_text(str(1 << 62))
    assert cgroup_memory_limit((unlimited, limited)) == 536870912
    assert cgroup_memory_limit((unlimited, huge, tmp_path / "missing")) is None


def test_process_memory_is_resident_memory_under_a_limit() -> None:
    rss, limit = process_memory()
    assert 0 < rss < limit


async def test_redis_up_when_ping_answers(redis: RedisHandle) -> None:
    result = await RedisIndicator(client=redis.client).check()
    assert result.status is HealthStatus.UP
    assert result.details["latency_ms"] >= 0
    slow = RedisIndicator(client=redis.client, slow_ms=0)
    assert (await slow.check()).status is HealthStatus.DEGRADED


async def test_redis_down_when_unreachable_without_its_password() -> None:
    indicator = RedisIndicator("redis://:pw-hidden@127.0.0.1:1/0", timeout=0.5)
    result = await indicator.check()
    assert result.status is HealthStatus.DOWN
    assert "pw-hidden" not in str(result.details)
    assert indicator.critical is False
    await indicator.aclose()


async def test_redis_without_pong_is_down() -> None:
    class Silent:
        async def ping(self) -> bool:
            return False

    result = await RedisIndicator(client=Silent()).check()
    assert result.status is HealthStatus.DOWN
    assert result.details["error"] == "no PONG"


async def test_a_redis_cache_gets_a_readiness_indicator(served: Served, redis: RedisHandle) -> None:
    if redis.url is None:
        pytest.skip("needs a Redis server with an address")
    config = {"cache": {"backend": "redis", "redis_url": redis.url}}
    async with served(config=config) as (_, client):
        checks = (await client.get("/health/ready")).json()["checks"]
        assert checks["redis"]["status"] == "up"
        assert checks["redis"]["critical"] is False


@service(lifetime="singleton")
class Gateway:
    def __init__(self) -> None:
        self.up = True


@health_indicator("gateway", critical=True, timeout=0.3)
class GatewayIndicator:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def check(self) -> HealthResult:
        return HealthResult(HealthStatus.UP if self.gateway.up else HealthStatus.DOWN)


async def test_a_decorated_indicator_is_built_by_the_container_and_checked(
    served: Served, registry: AppRegistry
) -> None:
    assert (GatewayIndicator.name, GatewayIndicator.critical, GatewayIndicator.timeout) == (
        "gateway",
        True,
        0.3,
    )
    async with served(indicators=[GatewayIndicator], providers=[Gateway]) as (app, client):
        ready = (await client.get("/health/ready")).json()
        assert ready["checks"]["gateway"]["status"] == "up"
        gateway = await app.container.aresolve(Gateway)
        gateway.up = False
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["failed"] == ["gateway"]
        status = (await client.get("/health/status")).json()
        assert status["checks"]["gateway"]["status"] == "down"


def test_the_decorator_needs_a_check_method() -> None:
    with pytest.raises(TypeError, match="check"):

        @health_indicator("x")
        class NoCheck:
            pass


def test_the_feature_refuses_what_is_not_an_indicator(registry: AppRegistry) -> None:
    class Plain:
        pass

    with pytest.raises(TypeError, match="not a @health_indicator class"):
        ApplicationFactory.create(
            id="x", scope="agent", features=[Observability(indicators=[Plain])], registry=registry
        )
    with pytest.raises(TypeError, match="not a health indicator"):
        ApplicationFactory.create(
            id="y", scope="agent", features=[Observability(indicators=[42])], registry=registry
        )


def test_two_indicators_with_one_name_are_a_config_error(registry: AppRegistry) -> None:
    class Again:
        name = "memory"
        critical = False
        timeout = 1.0

        async def check(self) -> HealthResult:
            return HealthResult(HealthStatus.UP)

    with pytest.raises(ConfigError, match="two health indicators are named 'memory'"):
        ApplicationFactory.create(
            id="z",
            scope="agent",
            features=[Observability(indicators=[Again()])],
            registry=registry,
        )


def test_the_lag_monitor_warns_once_per_episode(logs: LogCapture) -> None:
    monitor = LagMonitor(warning_ms=100)
    monitor.record(0.01)
    monitor.record(0.25)
    monitor.record(0.3)
    assert monitor.lag == 0.3
    monitor.record(0.0)
    monitor.record(0.2)
    warnings = logs.lines(message="event loop lag above threshold")
    assert [w["lag_ms"] for w in warnings] == [250.0, 200.0]
    assert monitor.max_lag == 0.3


async def test_the_lag_monitor_measures_a_blocked_loop(logs: LogCapture) -> None:
    import asyncio
    import time

    monitor = LagMonitor(interval=0.01, warning_ms=50)
    monitor.start()
    await asyncio.sleep(0.02)
    time.sleep(0.12)  # blocks the event loop on purpose: the lag being measured
    await asyncio.sleep(0.05)
    await monitor.stop()
    assert monitor.max_lag >= 0.05
    assert logs.lines(message="event loop lag above threshold")
    await monitor.stop()  # stopping twice is harmless


async def test_the_event_loop_lag_gauge_follows_the_monitor(served: Served) -> None:
    async with served() as (app, client):
        telemetry = await app.container.aresolve(Telemetry)
        telemetry.lag.record(0.125)
        text = (await client.get("/metrics")).text
        assert 'event_loop_lag_seconds{app_id="obs"' in text
        line = next(x for x in text.splitlines() if x.startswith("event_loop_lag_seconds{"))
        assert line.endswith(" 0.125")
