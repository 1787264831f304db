"""One Redis API for tests, whatever is at hand.

:func:`redis_client` yields a :class:`RedisHandle` backed by, in order of preference:

1. the real server at ``REDIS_URL`` (each handle gets a unique key prefix, and every key
   under it is deleted afterwards);
2. a throw-away ``redis`` container, when a Docker engine answers and ``testcontainers``
   is installed;
3. ``fakeredis`` (with Lua, so scripts run), in process.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from apiconform.mocks.docker import docker_available

RedisKind = Literal["real", "container", "fake"]


@dataclass(frozen=True)
class RedisHandle:
    """A connected async client, the prefix its keys should use, and where it points."""

    client: Any  # redis.asyncio.Redis or fakeredis.FakeAsyncRedis
    prefix: str
    kind: RedisKind
    url: str | None  # None for fakeredis: it has no address

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"


def choose_kind(env_url: str | None = None) -> RedisKind:
    """Which backend :func:`redis_client` would use now."""
    if env_url if env_url is not None else os.environ.get("REDIS_URL"):
        return "real"
    if docker_available() and _container_class() is not None:
        return "container"
    return "fake"


def _container_class() -> Any:
    """testcontainers' RedisContainer (its module moved in 4.x), or None if not installed."""
    try:
        from testcontainers.community.redis import RedisContainer
    except ImportError:
        try:
            from testcontainers.redis import RedisContainer
        except ImportError:
            return None
    return RedisContainer


@asynccontextmanager
async def redis_client(
    *, url: str | None = None, prefix: str | None = None
) -> AsyncIterator[RedisHandle]:
    """Yield a :class:`RedisHandle`; on exit delete its prefix's keys and close it."""
    prefix = prefix or f"apiconform-test:{secrets.token_hex(6)}:"
    url = url or os.environ.get("REDIS_URL") or None
    kind = choose_kind(url or "")
    async with AsyncExitStack() as stack:
        if kind == "container":
            url = stack.enter_context(_container_url())
        if kind == "fake":
            import fakeredis

            client: Any = fakeredis.FakeAsyncRedis(decode_responses=True)
        else:
            from redis.asyncio import Redis

            assert url is not None
            client = Redis.from_url(url, decode_responses=True)
        stack.push_async_callback(client.aclose)
        handle = RedisHandle(client=client, prefix=prefix, kind=kind, url=url)
        try:
            yield handle
        finally:
            await delete_prefix(client, prefix)


async def delete_prefix(client: Any, prefix: str) -> int:
    """Delete every key starting with ``prefix`` (SCAN, never KEYS)."""
    removed = 0
    async for key in client.scan_iter(match=f"{prefix}*", count=500):
        removed += await client.delete(key)
    return removed


@contextmanager
def _container_url() -> Iterator[str]:
    """The URL of a fresh redis container, removed on exit."""
    with _container_class()("redis:7-alpine") as container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(6379)
        yield f"redis://{host}:{port}/0"
