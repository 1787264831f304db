"""Script calls that meet on the way to Redis share a trip, and each still gets its own
answer or its own error."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from apiconform.mocks.redis import redis_client
from apiconform.reference.throttling.batching import ScriptBatcher
from apiconform.reference.throttling.redis_storage import INCREMENT, RedisStorage

ECHO = "return {KEYS[1], ARGV[1]}"
FAIL = "return redis.error_reply('no such thing')"


async def test_concurrent_calls_each_get_their_own_answer_after_a_script_flush() -> None:
    async with redis_client() as handle:
        batcher = ScriptBatcher(handle.client, max_batch=7)
        await handle.client.script_flush()
        answers = await asyncio.gather(
            *(batcher.call(ECHO, handle.key(str(i)), i) for i in range(40))
        )
        assert [(key, int(arg)) for key, arg in answers] == [
            (handle.key(str(i)), i) for i in range(40)
        ]
        await handle.client.script_flush()
        # the queued calls find their script gone too: loaded again, answered
        again = await asyncio.gather(*(batcher.call(ECHO, handle.key("x"), i) for i in range(5)))
        assert [int(arg) for _, arg in again] == list(range(5))
        await batcher.aclose()


async def test_a_script_error_fails_only_its_own_call() -> None:
    async with redis_client() as handle:
        batcher = ScriptBatcher(handle.client)
        calls = [batcher.call(ECHO, handle.key("a"), 1)]
        calls += [batcher.call(FAIL if i == 2 else ECHO, handle.key("b"), i) for i in range(4)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert [isinstance(r, Exception) for r in results] == [False, False, False, True, False]


async def test_a_cancelled_caller_does_not_break_its_batch() -> None:
    async with redis_client() as handle:
        batcher = ScriptBatcher(handle.client)
        first = asyncio.ensure_future(batcher.call(ECHO, handle.key("a"), 0))
        await asyncio.sleep(0)
        queued = [asyncio.ensure_future(batcher.call(ECHO, handle.key("b"), i)) for i in range(3)]
        await asyncio.sleep(0)
        queued[1].cancel()
        await first
        done = await asyncio.gather(*queued, return_exceptions=True)
        assert isinstance(done[1], asyncio.CancelledError)
        assert [int(done[i][1]) for i in (0, 2)] == [0, 2]


class DeadPipeline:
    def evalsha(self, *args: object) -> None:
        return None

    async def execute(self, raise_on_error: bool = True) -> list[object]:
        raise RedisConnectionError("gone")


class Dying:
    """A client whose first call hangs until released and whose pipelines fail."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def evalsha(self, *args: object) -> list[object]:
        await self.release.wait()
        raise RedisConnectionError("gone")

    def pipeline(self, transaction: bool = False) -> DeadPipeline:
        return DeadPipeline()


async def test_a_connection_error_fails_every_call_of_its_trip() -> None:
    client = Dying()
    batcher = ScriptBatcher(client)  # type: ignore[arg-type]
    first = asyncio.ensure_future(batcher.call(ECHO, "a"))
    await asyncio.sleep(0)
    queued = [asyncio.ensure_future(batcher.call(ECHO, "b", i)) for i in range(3)]
    await asyncio.sleep(0)
    client.release.set()
    results = await asyncio.gather(first, *queued, return_exceptions=True)
    assert all(isinstance(r, RedisConnectionError) for r in results)
    await batcher.aclose()


async def test_the_storage_decides_a_burst_of_concurrent_hits_exactly() -> None:
    async with redis_client() as handle:
        storage = RedisStorage(handle.client, prefix=handle.prefix.rstrip(":"))
        windows = await asyncio.gather(*(storage.increment("k", 60_000, 0) for _ in range(300)))
        assert sorted(w.hits for w in windows) == list(range(1, 301))
        assert INCREMENT.strip().startswith("local now")


@pytest.mark.parametrize("size", [1, 3])
async def test_batches_respect_their_maximum(size: int) -> None:
    async with redis_client() as handle:
        batcher = ScriptBatcher(handle.client, max_batch=size)
        answers = await asyncio.gather(*(batcher.call(ECHO, handle.key("m"), i) for i in range(10)))
        assert [int(a) for _, a in answers] == list(range(10))
