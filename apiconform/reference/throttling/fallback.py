"""Redis with memory behind it: when Redis fails, decisions move to memory (limits become
per instance), one warning is logged, and Redis is tried again in the background with
backoff; when it answers, decisions go back to it. Requests never fail for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from apiconform.common.logs import get_logger
from apiconform.reference.throttling.storage import Bucket, ThrottlerStorage, Window

R = TypeVar("R")
_log = get_logger("apiconform.throttling")


def storage_errors() -> tuple[type[BaseException], ...]:
    """What a storage that cannot answer raises."""
    from redis.exceptions import RedisError

    return (OSError, TimeoutError, RedisError)


class FallbackStorage:
    """``primary`` while it answers, ``fallback`` while it does not. ``clock_ms`` paces the
    retries (``backoff`` seconds, doubling up to ``max_backoff``)."""

    def __init__(
        self,
        primary: ThrottlerStorage,
        fallback: ThrottlerStorage,
        *,
        clock_ms: Callable[[], int],
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        errors: tuple[type[BaseException], ...] | None = None,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.clock_ms = clock_ms
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.errors = errors if errors is not None else storage_errors()
        self.degraded = False
        self.outages = 0
        self.recovery: asyncio.Task[None] | None = None
        self._delay = backoff
        self._retry_at = 0

    @property
    def name(self) -> str:
        return self.fallback.name if self.degraded else self.primary.name

    def fail(self, exc: BaseException) -> None:
        """Move to the fallback (once per outage: one warning)."""
        if self.degraded:
            return
        self.degraded = True
        self.outages += 1
        self._delay = self.backoff
        self._retry_at = self.clock_ms() + int(self._delay * 1000)
        _log.warning(
            "rate-limit storage unreachable: limits are per instance until it answers",
            storage=self.primary.name,
            fallback=self.fallback.name,
            error=type(exc).__name__,
        )

    def kick(self) -> None:
        """Start a background attempt to reach the primary when one is due."""
        idle = self.recovery is None or self.recovery.done()
        if idle and self.clock_ms() >= self._retry_at:
            self.recovery = asyncio.create_task(self.try_primary())

    async def try_primary(self) -> None:
        """One attempt to get back to the primary."""
        try:
            await self.primary.ping()
        except self.errors:
            self._delay = min(self._delay * 2, self.max_backoff)
            self._retry_at = self.clock_ms() + int(self._delay * 1000)
            return
        if self.degraded:
            self.degraded = False
            _log.info("rate-limit storage answers again", storage=self.primary.name)

    async def _call(self, call: Callable[[ThrottlerStorage], Awaitable[R]]) -> R:
        if not self.degraded:
            try:
                return await call(self.primary)
            except self.errors as exc:
                self.fail(exc)
        self.kick()
        return await call(self.fallback)

    async def increment(self, key: str, ttl_ms: int, now_ms: int) -> Window:
        return await self._call(lambda s: s.increment(key, ttl_ms, now_ms))

    async def get(self, key: str, now_ms: int) -> int:
        return await self._call(lambda s: s.get(key, now_ms))

    async def reset(self, key: str) -> None:
        await self._call(lambda s: s.reset(key))

    async def take(self, key: str, interval_ms: int, burst: int, now_ms: int) -> Bucket:
        return await self._call(lambda s: s.take(key, interval_ms, burst, now_ms))

    async def ping(self) -> None:
        await self.primary.ping()

    async def aclose(self) -> None:
        task, self.recovery = self.recovery, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for storage in (self.primary, self.fallback):
            with contextlib.suppress(*self.errors):
                await storage.aclose()
