"""Redis down: memory takes over, one warning, the state shows in health and metrics,
Redis is tried again in the background with backoff and used again once it answers."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from apiconform.errors import ConfigError
from apiconform.mocks.redis import redis_client
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    HealthStatus,
    controller,
    get,
)
from apiconform.reference.kernel.application import run_hooks
from apiconform.reference.throttling import MemoryStorage, Throttling, rate_limit
from apiconform.reference.throttling.fallback import FallbackStorage
from apiconform.reference.throttling.redis_storage import RedisStorage, connect
from apiconform.reference.throttling.storage import Bucket, Window

from .conftest import FakeClock, client

DEAD_REDIS = "redis://127.0.0.1:1/0"


class Flaky(MemoryStorage):
    """A storage that can be switched off, as a Redis that stops answering."""

    name = "redis"

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise RedisConnectionError("connection refused")

    async def increment(self, key: str, ttl_ms: int, now_ms: int) -> Window:
        self._check()
        return await super().increment(key, ttl_ms, now_ms)

    async def get(self, key: str, now_ms: int) -> int:
        self._check()
        return await super().get(key, now_ms)

    async def reset(self, key: str) -> None:
        self._check()
        await super().reset(key)

    async def take(self, key: str, interval_ms: int, burst: int, now_ms: int) -> Bucket:
        self._check()
        return await super().take(key, interval_ms, burst, now_ms)

    async def ping(self) -> None:
        self._check()


@controller("f")
class Routes:
    @get("")
    @rate_limit(2, 60)
    async def route(self) -> dict[str, str]:
        return {}


async def test_an_outage_moves_to_memory_with_one_warning_and_recovers(
    registry: AppRegistry, clock: FakeClock, logs: object
) -> None:
    primary = Flaky()
    storage = FallbackStorage(primary, MemoryStorage(), clock_ms=lambda: int(clock() * 1000))
    throttling = Throttling(clock=clock, storage=storage)
    app = ApplicationFactory.create(
        id="f",
        scope="agent",
        controllers=[Routes],
        features=[ErrorHandling(), throttling],
        registry=registry,
    )
    [indicator] = app.health_indicators
    async with client(app) as http:
        assert (await http.get("/f")).status_code == 200
        assert (await indicator.check()).status is HealthStatus.UP
        primary.down = True
        during = [(await http.get("/f")).status_code for _ in range(5)]
        # memory starts from zero: the limit holds per instance, no request fails
        assert during == [200, 200, 429, 429, 429]
        warnings = logs.lines(
            message="rate-limit storage unreachable: limits are per instance until it answers"
        )  # type: ignore[attr-defined]
        assert len(warnings) == 1
        health = await indicator.check()
        assert health.status is HealthStatus.DEGRADED
        assert health.details["fallback"] is True
        samples = {s.name: s for s in app.metrics_sources[0].samples()}
        assert samples["ratelimit_storage_fallback"].value == 1.0
        # not yet due: no attempt
        assert storage.recovery is None
        clock.advance(0.5)
        await http.get("/f")
        assert storage.recovery is not None
        await storage.recovery
        assert storage.degraded  # still down: the next attempt waits twice as long
        clock.advance(0.5)
        await http.get("/f")
        assert storage.recovery.done()
        primary.down = False
        clock.advance(0.5)
        await http.get("/f")
        await storage.recovery
        assert not storage.degraded
        # back on the primary, which still holds its count of 1 (memory's is not carried)
        back = [(await http.get("/f")).status_code for _ in range(2)]
        assert back == [200, 429]
        assert len(logs.lines(message="rate-limit storage answers again")) == 1  # type: ignore[attr-defined]
    await app.dispose()


async def test_a_redis_that_is_down_at_start_is_an_outage_not_a_crash(
    registry: AppRegistry, clock: FakeClock
) -> None:
    app = ApplicationFactory.create(
        id="d",
        scope="agent",
        config={"throttling": {"storage": "redis", "redis_url": DEAD_REDIS}},
        controllers=[Routes],
        features=[ErrorHandling(), Throttling(clock=clock)],
        registry=registry,
    )
    await run_hooks(app, app.assembly.hooks["start"])
    health = await app.health_indicators[0].check()
    assert (health.status, health.details["storage"]) == (HealthStatus.DEGRADED, "memory")
    async with client(app) as http:
        assert [(await http.get("/f")).status_code for _ in range(3)] == [200, 200, 429]
    await app.dispose()


async def test_a_request_finds_the_dead_redis_itself(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(
        id="d",
        scope="agent",
        config={"throttling": {"storage": "redis", "redis_url": DEAD_REDIS}},
        controllers=[Routes],
        features=[ErrorHandling(), Throttling()],
        registry=registry,
    )
    async with client(app) as http:
        assert (await http.get("/f")).status_code == 200
    samples = {s.name: s.value for s in app.metrics_sources[0].samples()}
    assert samples["ratelimit_storage_fallback"] == 1.0
    await app.dispose()


async def test_a_required_redis_that_is_down_stops_the_start(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(
        id="d",
        scope="agent",
        config={
            "throttling": {"storage": "redis", "redis_url": DEAD_REDIS, "redis_optional": False}
        },
        controllers=[Routes],
        features=[ErrorHandling(), Throttling()],
        registry=registry,
    )
    with pytest.raises(ConfigError, match=r"throttling\.redis_url: Redis does not answer"):
        await run_hooks(app, app.assembly.hooks["start"])
    await app.dispose()


async def test_a_health_check_notices_an_outage_and_pings_a_live_redis() -> None:
    async with redis_client() as handle:
        primary = RedisStorage(handle.client, prefix=handle.prefix.rstrip(":"))
        storage = FallbackStorage(primary, MemoryStorage(), clock_ms=lambda: 0)
        from apiconform.reference.throttling.health import StorageIndicator

        up = await StorageIndicator(storage).check()
        assert (up.status, up.details["storage"]) == (HealthStatus.UP, "redis")
        assert up.details["latency_ms"] >= 0
    dead = FallbackStorage(RedisStorage(connect(DEAD_REDIS)), MemoryStorage(), clock_ms=lambda: 0)
    down = await StorageIndicator(dead).check()
    assert (down.status, down.details["fallback"]) == (HealthStatus.DEGRADED, True)
    await dead.aclose()


async def test_memory_storage_is_always_up(registry: AppRegistry) -> None:
    from apiconform.reference.throttling.health import StorageIndicator

    result = await StorageIndicator(MemoryStorage()).check()
    assert (result.status, result.details["storage"]) == (HealthStatus.UP, "memory")


async def test_every_storage_call_falls_back_and_closing_cancels_a_pending_retry(
    clock: FakeClock,
) -> None:
    primary = Flaky()
    storage = FallbackStorage(primary, MemoryStorage(), clock_ms=lambda: int(clock() * 1000))
    assert storage.name == "redis"
    await storage.increment("k", 1_000, 0)
    assert await storage.get("k", 0) == 1
    assert (await storage.take("b", 1_000, 1, 0)).allowed
    await storage.reset("k")
    primary.down = True
    assert await storage.get("k", 0) == 0  # memory's count
    assert storage.name == "memory"
    storage.fail(RedisConnectionError("again"))  # one outage, not two
    assert storage.outages == 1
    assert (await storage.take("b", 1_000, 1, 0)).allowed
    await storage.reset("k")
    with pytest.raises(RedisConnectionError):
        await storage.ping()
    clock.advance(1)
    await storage.increment("k", 1_000, 0)
    assert storage.recovery is not None
    assert not storage.recovery.done()
    await storage.aclose()
    assert storage.recovery is None


async def test_a_memory_throttler_starts_without_checks(
    registry: AppRegistry, clock: FakeClock
) -> None:
    app = ApplicationFactory.create(
        id="m",
        scope="agent",
        controllers=[Routes],
        features=[ErrorHandling(), Throttling(clock=clock)],
        registry=registry,
    )
    await run_hooks(app, app.assembly.hooks["start"])
    await app.dispose()
