"""The storage interface and the in-process memory storage.

Times are integer milliseconds on the throttler's clock (Unix time), so the memory and
Redis storages compute the same answers from the same arithmetic and a test can drive
either with an injected clock. (Milliseconds, not microseconds: Redis's Lua turns numbers
into strings with 14 significant digits, and a Unix time in microseconds has 16.)

Two algorithms share the interface: a fixed window (:meth:`ThrottlerStorage.increment`,
what ``INCR`` with ``EXPIRE`` gives: a window starts at a key's first hit and lasts
``ttl``) and a token bucket in its GCRA form (:meth:`ThrottlerStorage.take`): capacity
``burst``, one token back every ``interval``.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable


class Window(NamedTuple):
    """A fixed window after a hit: hits counted in it (this one included) and its end."""

    hits: int
    end_ms: int


class Bucket(NamedTuple):
    """A token bucket after an attempt: ``allowed``, the bucket's theoretical arrival time
    (when it is full again) and, when refused, when the next token is there."""

    allowed: bool
    tat_ms: int
    retry_at_ms: int = 0


@runtime_checkable
class ThrottlerStorage(Protocol):
    """Where counters live. Every method is one atomic step: concurrent callers never
    read a count another caller is about to change (no read-then-write race)."""

    @property
    def name(self) -> str: ...

    async def increment(self, key: str, ttl_ms: int, now_ms: int) -> Window:
        """Count one hit in ``key``'s window, opening a new one of ``ttl_ms`` if there is
        none or it ended."""
        ...

    async def get(self, key: str, now_ms: int) -> int:
        """Hits counted in ``key``'s current window (0 when there is none)."""
        ...

    async def reset(self, key: str) -> None:
        """Forget ``key``."""
        ...

    async def take(self, key: str, interval_ms: int, burst: int, now_ms: int) -> Bucket:
        """Take one token from ``key``'s bucket if one is there."""
        ...

    async def ping(self) -> None:
        """Raise if the storage cannot answer."""
        ...

    async def aclose(self) -> None: ...


def gcra(tat_ms: int | None, interval_ms: int, burst: int, now_ms: int) -> Bucket:
    """One token bucket decision from the stored theoretical arrival time."""
    tat = max(tat_ms if tat_ms is not None else now_ms, now_ms)
    new_tat = tat + interval_ms
    allow_at = new_tat - burst * interval_ms
    if now_ms < allow_at:
        return Bucket(False, tat, allow_at)
    return Bucket(True, new_tat)


class MemoryStorage:
    """Counters in a dict of at most ``max_keys`` keys.

    When it is full, a new key first evicts the expired keys (a sweep at most every
    ``sweep_interval_ms``, so a flood of new keys does not make each insert scan them all),
    then the oldest key: a flood of spoofed keys costs old counters, never the memory.
    Everything runs on the event loop without awaiting, so each call is atomic.
    """

    name = "memory"

    def __init__(self, max_keys: int = 100_000, *, sweep_interval_ms: int = 1_000) -> None:
        self.max_keys = max_keys
        self.sweep_interval_ms = sweep_interval_ms
        # key -> (count or tat, expiry); insertion order is age
        self._entries: dict[str, tuple[int, int]] = {}
        self._next_sweep = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _live(self, key: str, now_ms: int) -> tuple[int, int] | None:
        entry = self._entries.get(key)
        if entry is not None and entry[1] <= now_ms:
            del self._entries[key]
            return None
        return entry

    def _store(self, key: str, value: int, expiry_ms: int, now_ms: int) -> None:
        if key not in self._entries and len(self._entries) >= self.max_keys:
            if now_ms >= self._next_sweep:
                self._next_sweep = now_ms + self.sweep_interval_ms
                for old in [k for k, (_, exp) in self._entries.items() if exp <= now_ms]:
                    del self._entries[old]
            while len(self._entries) >= self.max_keys:
                del self._entries[next(iter(self._entries))]
        self._entries[key] = (value, expiry_ms)

    async def increment(self, key: str, ttl_ms: int, now_ms: int) -> Window:
        return self.increment_now(key, ttl_ms, now_ms)

    def increment_now(self, key: str, ttl_ms: int, now_ms: int) -> Window:
        """:meth:`increment` without the coroutine: the throttler calls it directly."""
        entries = self._entries
        entry = entries.get(key)
        if entry is not None and entry[1] > now_ms:
            # the hot path: a live window; reassigning a key keeps its age
            count = entry[0] + 1
            entries[key] = (count, entry[1])
            return Window(count, entry[1])
        if entry is not None:
            del entries[key]
        end = now_ms + ttl_ms
        self._store(key, 1, end, now_ms)
        return Window(1, end)

    async def get(self, key: str, now_ms: int) -> int:
        entry = self._live(key, now_ms)
        return entry[0] if entry else 0

    async def reset(self, key: str) -> None:
        self._entries.pop(key, None)

    async def take(self, key: str, interval_ms: int, burst: int, now_ms: int) -> Bucket:
        entry = self._live(key, now_ms)
        bucket = gcra(entry[0] if entry else None, interval_ms, burst, now_ms)
        if bucket.allowed:
            self._store(key, bucket.tat_ms, bucket.tat_ms, now_ms)
        return bucket

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        self._entries.clear()
