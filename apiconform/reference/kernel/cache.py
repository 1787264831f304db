"""Scoped caches: one shared backend, every key prefixed with its owner's namespace.

The namespace is percent-encoded before the ``:`` separator, so no namespace/key pair can
spell another pair's stored key (``"a"`` + ``"b:x"`` differs from ``"a:b"`` + ``"x"``), and
the prefix carries no glob characters when used in a Redis ``SCAN MATCH``.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

if TYPE_CHECKING:
    from redis.asyncio import Redis

Clock = Callable[[], float]


class CacheBackend(Protocol):
    """Raw string storage with optional expiry."""

    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl: float | None = None) -> None: ...
    async def delete(self, key: str) -> bool: ...
    async def delete_prefix(self, prefix: str) -> int: ...
    async def close(self) -> None: ...


class MemoryBackend:
    """An in-process backend: expiry by an injected clock, oldest entries evicted first.

    Entries are kept per namespace (the part of a key before its first ``:``, which
    :class:`ScopedCache` percent-encodes) and bounded per namespace, so one application
    filling the store evicts only its own entries. ``quota`` sets a namespace's bound;
    others get ``max_entries``.
    """

    def __init__(self, *, max_entries: int = 10_000, clock: Clock = time.monotonic) -> None:
        self._spaces: dict[str, OrderedDict[str, tuple[str, float | None]]] = {}
        self._quotas: dict[str, int] = {}
        self._max = max_entries
        self._clock = clock

    def __len__(self) -> int:
        return sum(len(space) for space in self._spaces.values())

    def quota(self, prefix: str, max_entries: int) -> None:
        """Bound the namespace ``prefix`` (``"<namespace>:"``) to ``max_entries`` entries."""
        self._quotas[prefix.removesuffix(":")] = max_entries

    @staticmethod
    def _space_of(key: str) -> str:
        return key.split(":", 1)[0]

    async def get(self, key: str) -> str | None:
        space = self._spaces.get(self._space_of(key))
        item = space.get(key) if space is not None else None
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del space[key]  # type: ignore[union-attr]
            return None
        return value

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        name = self._space_of(key)
        space = self._spaces.setdefault(name, OrderedDict())
        space[key] = (value, self._clock() + ttl if ttl is not None else None)
        space.move_to_end(key)
        bound = self._quotas.get(name, self._max)
        while len(space) > bound:
            space.popitem(last=False)

    async def delete(self, key: str) -> bool:
        space = self._spaces.get(self._space_of(key))
        return space is not None and space.pop(key, None) is not None

    async def delete_prefix(self, prefix: str) -> int:
        removed = 0
        for name in [
            n for n in self._spaces if (n + ":").startswith(prefix) or prefix.startswith(n + ":")
        ]:
            space = self._spaces[name]
            doomed = [k for k in space if k.startswith(prefix)]
            for key in doomed:
                del space[key]
            removed += len(doomed)
            if not space:
                del self._spaces[name]
        return removed

    async def close(self) -> None:
        self._spaces.clear()


class RedisBackend:
    """A backend over ``redis.asyncio``; ``close`` releases the pool only if it owns it."""

    def __init__(self, client: Redis, *, owns_client: bool = True) -> None:
        self._client = client
        self._owns = owns_client

    @classmethod
    def from_url(cls, url: str) -> RedisBackend:
        from redis.asyncio import Redis

        return cls(Redis.from_url(url, decode_responses=True))

    async def get(self, key: str) -> str | None:
        value = await self._client.get(key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        px = max(1, int(ttl * 1000)) if ttl is not None else None
        await self._client.set(key, value, px=px)

    async def delete(self, key: str) -> bool:
        return bool(await self._client.delete(key))

    async def delete_prefix(self, prefix: str) -> int:
        removed = 0
        batch: list[str] = []
        async for key in self._client.scan_iter(match=f"{prefix}*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                removed += await self._client.delete(*batch)
                batch.clear()
        if batch:
            removed += await self._client.delete(*batch)
        return removed

    async def close(self) -> None:
        if self._owns:
            await self._client.aclose()


class ScopedCache:
    """JSON values under ``<namespace>:<key>`` in a shared backend."""

    def __init__(
        self,
        backend: CacheBackend,
        namespace: str,
        *,
        default_ttl: float | None = None,
        max_entries: int | None = None,
    ) -> None:
        self.backend = backend
        self.namespace = namespace
        self.prefix = f"{quote(namespace, safe='')}:"
        self.default_ttl = default_ttl
        if max_entries is not None and isinstance(backend, MemoryBackend):
            backend.quota(self.prefix, max_entries)

    def key(self, key: str) -> str:
        """The backend key that stores ``key`` for this namespace."""
        return self.prefix + key

    async def get(self, key: str, default: Any = None) -> Any:
        raw = await self.backend.get(self.key(key))
        return default if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        await self.backend.set(
            self.key(key), json.dumps(value), ttl if ttl is not None else self.default_ttl
        )

    async def delete(self, key: str) -> bool:
        return await self.backend.delete(self.key(key))

    async def clear(self) -> int:
        """Remove every entry of this namespace, and only those."""
        return await self.backend.delete_prefix(self.prefix)
