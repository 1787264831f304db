from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from apiconform.mocks.redis import RedisHandle
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppRegistry,
    MemoryBackend,
    RedisBackend,
    ScopedCache,
    controller,
    get,
)
from apiconform.reference.kernel.cache import CacheBackend


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def backend(
    request: pytest.FixtureRequest, redis: RedisHandle
) -> AsyncIterator[CacheBackend]:
    if request.param == "memory":
        yield MemoryBackend()
    else:
        yield RedisBackend(redis.client, owns_client=False)


def namespaced(backend: CacheBackend, name: str, redis: RedisHandle) -> ScopedCache:
    # unique per test run on a shared real server; the handle deletes its prefix afterwards
    return ScopedCache(backend, f"{redis.prefix}{name}")


async def test_values_round_trip_as_json(backend: CacheBackend, redis: RedisHandle) -> None:
    cache = namespaced(backend, "a", redis)
    await cache.set("user", {"id": 1, "tags": ["x"], "ok": True})
    assert await cache.get("user") == {"id": 1, "tags": ["x"], "ok": True}
    assert await cache.get("absent") is None
    assert await cache.get("absent", "fallback") == "fallback"
    assert await cache.delete("user") is True
    assert await cache.delete("user") is False


async def test_app_a_cannot_read_app_b_keys(backend: CacheBackend, redis: RedisHandle) -> None:
    a = namespaced(backend, "agent:a", redis)
    b = namespaced(backend, "agent:b", redis)
    await a.set("secret", "a-only")
    assert await b.get("secret") is None
    await b.set("secret", "b-only")
    assert await a.get("secret") == "a-only"


async def test_namespace_and_key_cannot_collide(backend: CacheBackend, redis: RedisHandle) -> None:
    a = namespaced(backend, "a", redis)
    ab = namespaced(backend, "a:b", redis)
    await a.set("b:x", "from a")
    assert await ab.get("x") is None


async def test_clear_removes_only_the_own_namespace(
    backend: CacheBackend, redis: RedisHandle
) -> None:
    a = namespaced(backend, "a", redis)
    b = namespaced(backend, "b", redis)
    for i in range(3):
        await a.set(f"k{i}", i)
    await b.set("k0", "keep")
    assert await a.clear() == 3
    assert await a.get("k0") is None
    assert await b.get("k0") == "keep"


async def test_glob_characters_in_a_namespace_are_not_patterns(
    backend: CacheBackend, redis: RedisHandle
) -> None:
    star = namespaced(backend, "*", redis)
    plain = namespaced(backend, "x", redis)
    await plain.set("k", 1)
    await star.clear()
    assert await plain.get("k") == 1


async def test_ttl_expires_entries(redis: RedisHandle) -> None:
    clock = Clock()
    cache = ScopedCache(MemoryBackend(clock=clock), "a", default_ttl=10)
    await cache.set("k", "v")
    await cache.set("long", "v", ttl=100)
    clock.now += 11
    assert await cache.get("k") is None
    assert await cache.get("long") == "v"


async def test_redis_ttl_is_set_in_milliseconds(redis: RedisHandle) -> None:
    cache = ScopedCache(RedisBackend(redis.client, owns_client=False), f"{redis.prefix}t")
    await cache.set("k", "v", ttl=30)
    ttl = await redis.client.pttl(cache.key("k"))
    assert 25_000 < ttl <= 30_000


async def test_redis_clear_works_in_batches(redis: RedisHandle) -> None:
    cache = ScopedCache(RedisBackend(redis.client, owns_client=False), f"{redis.prefix}many")
    for i in range(1203):
        await cache.set(f"k{i}", i)
    assert await cache.clear() == 1203


async def test_memory_backend_evicts_the_oldest_beyond_its_bound() -> None:
    backend = MemoryBackend(max_entries=2)
    cache = ScopedCache(backend, "a")
    await cache.set("1", 1)
    await cache.set("2", 2)
    await cache.set("3", 3)
    assert len(backend) == 2
    assert await cache.get("1") is None
    await backend.close()
    assert len(backend) == 0


async def test_backend_close_respects_ownership(redis: RedisHandle) -> None:
    borrowed = RedisBackend(redis.client, owns_client=False)
    await borrowed.close()
    assert await redis.client.ping()


@controller("c")
class CacheController:
    def __init__(self, cache: ScopedCache, app: Application) -> None:
        self.cache = cache
        self.app = app

    @get("/{key}")
    async def read(self, key: str, write: str | None = None) -> dict[str, object]:
        if write is not None:
            await self.cache.set(key, write)
        return {"value": await self.cache.get(key)}


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_two_apps_sharing_a_store_only_see_their_own_entries(
    registry: AppRegistry, redis: RedisHandle, kind: str
) -> None:
    def make(app_id: str) -> Application:
        if kind == "redis" and redis.url is not None:
            config = {"cache": {"backend": "redis", "redis_url": redis.url}}
            return ApplicationFactory.create(
                id=f"{redis.prefix}{app_id}",
                scope="agent",
                config=config,
                controllers=[CacheController],
                registry=registry,
            )
        backend = RedisBackend(redis.client, owns_client=False) if kind == "redis" else None
        return ApplicationFactory.create(
            id=f"{redis.prefix}{app_id}",
            scope="agent",
            cache_backend=backend,
            controllers=[CacheController],
            registry=registry,
        )

    a, b = make("a"), make("b")
    a_key = a.cache.key("k")
    raw: CacheBackend = (
        registry.shared_memory_cache()
        if kind == "memory"
        else RedisBackend(redis.client, owns_client=False)
    )
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(x.asgi), base_url="http://t")
        for x in (a, b)
    ]
    try:
        assert (await clients[0].get("/c/k?write=from-a")).json() == {"value": "from-a"}
        assert (await clients[1].get("/c/k")).json() == {"value": None}
        assert (await clients[1].get("/c/k?write=from-b")).json() == {"value": "from-b"}
        assert await raw.get(a_key) == '"from-a"'
    finally:
        for client in clients:
            await client.aclose()
        await a.dispose()
    # a's entries are removed when a is disposed; b's stay
    assert await raw.get(a_key) is None
    assert await b.cache.get("k") == "from-b"
    await b.dispose()


async def test_memory_bounds_are_per_namespace() -> None:
    backend = MemoryBackend(max_entries=100)
    small = ScopedCache(backend, "agent:small", max_entries=2)
    big = ScopedCache(backend, "agent:big")
    await big.set("keep", "mine")
    for i in range(5):
        await small.set(f"k{i}", i)
    assert [await small.get(f"k{i}") for i in range(5)] == [None, None, None, 3, 4]
    assert await big.get("keep") == "mine"  # another app's entries are never evicted
    assert len(backend) == 3


async def test_apps_sharing_the_memory_store_keep_their_own_bound(registry: AppRegistry) -> None:
    a = ApplicationFactory.create(
        id="a", scope="agent", config={"cache": {"max_entries": 3}}, registry=registry
    )
    b = ApplicationFactory.create(
        id="b", scope="agent", config={"cache": {"max_entries": 1}}, registry=registry
    )
    for i in range(3):
        await a.cache.set(f"k{i}", i)
        await b.cache.set(f"k{i}", i)
    assert [await a.cache.get(f"k{i}") for i in range(3)] == [0, 1, 2]
    assert [await b.cache.get(f"k{i}") for i in range(3)] == [None, None, 2]
    await a.dispose()
    await b.dispose()
