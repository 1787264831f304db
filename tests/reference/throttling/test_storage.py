"""One behaviour suite for every storage (memory, and Redis: real or fakeredis)."""

from __future__ import annotations

import asyncio

import pytest

from apiconform.reference.throttling import MemoryStorage, ThrottlerStorage
from apiconform.reference.throttling.storage import gcra

NOW = 1_800_000_000_000  # ms


async def test_a_window_counts_hits_until_it_ends_then_starts_again(
    storage: ThrottlerStorage,
) -> None:
    assert isinstance(storage, ThrottlerStorage)
    first = await storage.increment("k", 10_000, NOW)
    assert (first.hits, first.end_ms) == (1, NOW + 10_000)
    second = await storage.increment("k", 10_000, NOW + 9_999)
    assert (second.hits, second.end_ms) == (2, NOW + 10_000)
    assert await storage.get("k", NOW + 9_999) == 2
    assert await storage.get("k", NOW + 10_000) == 0
    fresh = await storage.increment("k", 10_000, NOW + 10_000)
    assert (fresh.hits, fresh.end_ms) == (1, NOW + 20_000)


async def test_keys_count_apart_and_reset_forgets_one(storage: ThrottlerStorage) -> None:
    await storage.increment("a", 60_000, NOW)
    await storage.increment("a", 60_000, NOW)
    await storage.increment("b", 60_000, NOW)
    await storage.reset("a")
    assert await storage.get("a", NOW) == 0
    assert await storage.get("b", NOW) == 1
    assert await storage.get("never", NOW) == 0


async def test_a_bucket_gives_its_burst_then_one_token_per_interval(
    storage: ThrottlerStorage,
) -> None:
    taken = [await storage.take("b", 1_000, 3, NOW) for _ in range(4)]
    assert [t.allowed for t in taken] == [True, True, True, False]
    # the refused attempt says when the next token is there: one interval after the first
    assert taken[3].retry_at_ms == NOW + 1_000
    assert not (await storage.take("b", 1_000, 3, NOW + 999)).allowed
    assert (await storage.take("b", 1_000, 3, NOW + 1_000)).allowed
    assert not (await storage.take("b", 1_000, 3, NOW + 1_000)).allowed
    # after a full refill the burst is there again
    later = [await storage.take("b", 1_000, 3, NOW + 60_000) for _ in range(4)]
    assert [t.allowed for t in later] == [True, True, True, False]


async def test_concurrent_hits_are_counted_exactly(storage: ThrottlerStorage) -> None:
    # 90: under the client's connection pool (fakeredis and redis-py default to 100)
    windows = await asyncio.gather(*(storage.increment("c", 60_000, NOW) for _ in range(90)))
    assert sorted(w.hits for w in windows) == list(range(1, 91))
    buckets = await asyncio.gather(*(storage.take("d", 1_000, 25, NOW) for _ in range(90)))
    assert sum(b.allowed for b in buckets) == 25


async def test_ping_and_close(storage: ThrottlerStorage) -> None:
    await storage.ping()
    assert storage.name in ("memory", "redis")


def test_gcra_refuses_until_the_next_token() -> None:
    assert gcra(None, 500, 2, 0).allowed
    full = gcra(1_000, 500, 2, 0)
    assert (full.allowed, full.retry_at_ms) == (False, 500)


async def test_memory_evicts_expired_keys_first_then_the_oldest() -> None:
    storage = MemoryStorage(max_keys=3, sweep_interval_ms=0)
    await storage.increment("short", 1_000, NOW)
    await storage.increment("old", 60_000, NOW)
    await storage.increment("mid", 60_000, NOW)
    # full: the expired key goes first
    await storage.increment("new", 60_000, NOW + 1_000)
    assert len(storage) == 3
    assert await storage.get("old", NOW + 1_000) == 1
    # nothing expired: the oldest goes
    await storage.increment("newer", 60_000, NOW + 1_000)
    assert len(storage) == 3
    assert await storage.get("old", NOW + 1_000) == 0
    assert await storage.get("mid", NOW + 1_000) == 1


async def test_a_flood_of_keys_never_grows_memory_past_its_bound() -> None:
    storage = MemoryStorage(max_keys=100)
    for i in range(10_000):
        await storage.increment(f"spoofed-{i}", 60_000, NOW)
    assert len(storage) == 100
    await storage.aclose()
    assert len(storage) == 0


@pytest.mark.parametrize("interval", [1, 7, 1_000])
async def test_memory_buckets_expire_when_full_again(interval: int) -> None:
    storage = MemoryStorage()
    await storage.take("x", interval, 1, NOW)
    assert len(storage) == 1
    await storage.increment("y", 10, NOW + interval + 10)  # any access sweeps "x" lazily
    assert await storage.get("x", NOW + interval) == 0
