"""The Redis storage: every decision is one Lua script (``EVALSHA``, one round trip, shared
with the decisions of the same loop turn), so instances sharing a Redis count together with
no read-then-write race.

Window ends and bucket times are kept in the keys on the throttler's clock (integer
milliseconds), not Redis's: Redis only expires keys, a little after they stop mattering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apiconform.reference.throttling.batching import ScriptBatcher
from apiconform.reference.throttling.storage import Bucket, Window

if TYPE_CHECKING:
    from redis.asyncio import Redis

# KEYS[1] hash {c: count, e: window end}; ARGV now, ttl (ms). Returns {count, end}.
INCREMENT = """
local now = tonumber(ARGV[1])
local found = redis.call('HMGET', KEYS[1], 'c', 'e')
local count = tonumber(found[1])
local finish = tonumber(found[2])
if count == nil or finish == nil or finish <= now then
  count = 0
  finish = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'e', finish)
  redis.call('PEXPIRE', KEYS[1], finish - now + 1000)
end
count = count + 1
redis.call('HSET', KEYS[1], 'c', count)
return {count, finish}
"""

# KEYS[1] string tat; ARGV now, interval, burst (ms). Returns {allowed, tat, retry_at}.
TAKE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tonumber(ARGV[3]) * interval
if now < allow_at then return {0, tat, allow_at} end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now + 1000)
return {1, new_tat, 0}
"""

# KEYS[1] hash; ARGV now. The count of a window that has not ended.
GET = """
local found = redis.call('HMGET', KEYS[1], 'c', 'e')
if found[1] and found[2] and tonumber(found[2]) > tonumber(ARGV[1]) then
  return tonumber(found[1])
end
return 0
"""


def connect(url: str, *, timeout: float = 0.5, max_connections: int = 64) -> Redis:
    """A client that gives up quickly on a dead Redis (a throttler waiting on it would
    stall every request it guards), and whose requests wait for a free connection when
    all ``max_connections`` are busy instead of failing: a burst of traffic is not an
    outage."""
    from redis.asyncio import BlockingConnectionPool, Redis

    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout * 4,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
    )
    return Redis(connection_pool=pool)


class RedisStorage:
    """Counters in Redis under ``prefix:``, each decision one script called by SHA (loaded
    again when Redis lost it), sent in batches (see :mod:`.batching`)."""

    name = "redis"

    def __init__(self, client: Redis, *, prefix: str = "ratelimit") -> None:
        self.client = client
        self.prefix = prefix
        self.batcher = ScriptBatcher(client)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def increment(self, key: str, ttl_ms: int, now_ms: int) -> Window:
        found: Any = await self.batcher.call(INCREMENT, self._key(key), now_ms, ttl_ms)
        return Window(int(found[0]), int(found[1]))

    async def get(self, key: str, now_ms: int) -> int:
        found: Any = await self.batcher.call(GET, self._key(key), now_ms)
        return int(found)

    async def reset(self, key: str) -> None:
        await self.client.delete(self._key(key), self._key(f"bucket:{key}"))

    async def take(self, key: str, interval_ms: int, burst: int, now_ms: int) -> Bucket:
        found: Any = await self.batcher.call(
            TAKE, self._key(f"bucket:{key}"), now_ms, interval_ms, burst
        )
        return Bucket(bool(int(found[0])), int(found[1]), int(found[2]))

    async def ping(self) -> None:
        await self.client.ping()

    async def aclose(self) -> None:
        await self.batcher.aclose()
        await self.client.aclose(close_connection_pool=True)
