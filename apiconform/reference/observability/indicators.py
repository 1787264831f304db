"""Built-in health indicators (memory, Redis) and ``@health_indicator`` for custom ones."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psutil

from apiconform.common.logs import get_logger
from apiconform.common.redaction import redact_text
from apiconform.reference.kernel.health import HealthResult, HealthStatus

_log = get_logger("apiconform.health")
C = TypeVar("C", bound=type)
INDICATOR_MARK = "__health_indicator__"

_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)
_NO_LIMIT = 1 << 60  # cgroup v1 reports "no limit" as a huge number


def health_indicator(name: str, *, critical: bool = False, timeout: float | None = None) -> Any:
    """Mark a class with an ``async check() -> HealthResult`` method as a health indicator
    named ``name``. Give the class (or an instance) to ``Observability(indicators=[...])``:
    a class is built by the application's container when the application starts, so its
    constructor may take providers."""

    def mark(cls: C) -> C:
        if not callable(getattr(cls, "check", None)):
            raise TypeError(f"{cls.__name__} needs an async check() method")
        setattr(cls, "name", name)  # noqa: B010 - set on a class the decorator receives
        setattr(cls, "critical", critical)  # noqa: B010
        setattr(cls, "timeout", timeout)  # noqa: B010
        setattr(cls, INDICATOR_MARK, True)
        return cls

    return mark


def cgroup_memory_limit(paths: tuple[Path, ...] = _CGROUP_LIMITS) -> int | None:
    """The container's memory limit in bytes, or None outside a limited cgroup."""
    for path in paths:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < _NO_LIMIT:
            return int(text)
    return None


def process_memory() -> tuple[int, int]:
    """Resident memory of this process and the limit it lives under (cgroup, else RAM)."""
    rss = psutil.Process().memory_info().rss
    return rss, cgroup_memory_limit() or psutil.virtual_memory().total


def gc_stats() -> dict[str, Any]:
    return {
        "counts": list(gc.get_count()),
        "collections": [generation["collections"] for generation in gc.get_stats()],
        "collected": [generation["collected"] for generation in gc.get_stats()],
    }


class MemoryIndicator:
    """Resident memory against the limit: up below ``degraded_ratio``, degraded up to
    ``down_ratio``, down above it (with a warning about a potential leak). Details carry
    the figures and GC statistics."""

    name = "memory"
    critical = False

    def __init__(
        self,
        *,
        limit_bytes: int | None = None,
        degraded_ratio: float = 0.85,
        down_ratio: float = 0.95,
        timeout: float = 1.0,
        measure: Callable[[], tuple[int, int]] = process_memory,
    ) -> None:
        self.limit_bytes = limit_bytes
        self.degraded_ratio = degraded_ratio
        self.down_ratio = down_ratio
        self.timeout = timeout
        self._measure = measure

    async def check(self) -> HealthResult:
        rss, measured_limit = self._measure()
        limit = self.limit_bytes or measured_limit
        ratio = rss / limit
        details: dict[str, Any] = {
            "rss_bytes": rss,
            "limit_bytes": limit,
            "usage_percent": round(ratio * 100, 2),
            "gc": gc_stats(),
        }
        if ratio > self.down_ratio:
            _log.warning(
                "memory usage critical: potential memory leak",
                rss_bytes=rss,
                limit_bytes=limit,
                usage_percent=details["usage_percent"],
            )
            return HealthResult(HealthStatus.DOWN, details)
        if ratio >= self.degraded_ratio:
            return HealthResult(HealthStatus.DEGRADED, details)
        return HealthResult(HealthStatus.UP, details)


class RedisIndicator:
    """``PING`` on the application's Redis: up on PONG within ``slow_ms``, degraded when
    slower, down when it fails. Not critical by default: the cache may be missed."""

    name = "redis"

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        critical: bool = False,
        timeout: float = 1.0,
        slow_ms: float = 500.0,
    ) -> None:
        self.critical = critical
        self.timeout = timeout
        self.slow_ms = slow_ms
        if client is None:
            from redis.asyncio import Redis

            client = Redis.from_url(
                url or "redis://127.0.0.1:6379",
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
            )
        self._client = client

    async def check(self) -> HealthResult:
        started = time.perf_counter()
        try:
            answer = await self._client.ping()
        except Exception as exc:
            return HealthResult(
                HealthStatus.DOWN, {"error": redact_text(f"{type(exc).__name__}: {exc}")[:300]}
            )
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        if answer is not True:
            return HealthResult(HealthStatus.DOWN, {"error": "no PONG", "latency_ms": elapsed})
        status = HealthStatus.UP if elapsed < self.slow_ms else HealthStatus.DEGRADED
        return HealthResult(status, {"latency_ms": elapsed})

    async def aclose(self) -> None:
        await self._client.aclose()
