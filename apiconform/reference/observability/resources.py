"""Process resources: CPU (user, system, percent), uptime and event-loop lag.

The lag monitor sleeps ``interval`` seconds in a loop and measures how late it wakes up:
the time the event loop was busy with something else. Above the threshold it logs a
warning (once per episode, so a blocked loop does not flood the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from apiconform.common.logs import get_logger

_log = get_logger("apiconform.resources")


class LagMonitor:
    """Event-loop lag in seconds, sampled every ``interval`` seconds while running."""

    def __init__(
        self,
        *,
        interval: float = 0.5,
        warning_ms: float = 100.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.interval = interval
        self.warning_ms = warning_ms
        self.lag = 0.0
        self.max_lag = 0.0
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._warned = False

    def record(self, lag: float) -> None:
        """Take one measurement (seconds); warn when it crosses the threshold."""
        self.lag = max(lag, 0.0)
        self.max_lag = max(self.max_lag, self.lag)
        if self.lag * 1000 > self.warning_ms:
            if not self._warned:
                self._warned = True
                _log.warning(
                    "event loop lag above threshold",
                    lag_ms=round(self.lag * 1000, 1),
                    threshold_ms=self.warning_ms,
                )
        else:
            self._warned = False

    async def _run(self) -> None:
        while True:
            started = self._clock()
            await asyncio.sleep(self.interval)
            self.record(self._clock() - started - self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class ResourceCollector(Collector):
    """CPU user and system seconds, CPU percent since the previous scrape, uptime and the
    event-loop lag, read at each collection."""

    def __init__(self, lag: LagMonitor, *, started: float | None = None) -> None:
        self._process = psutil.Process(os.getpid())
        self._process.cpu_percent(None)  # the first call starts the interval
        self._lag = lag
        self._started = started if started is not None else time.time()

    def snapshot(self) -> dict[str, Any]:
        times = self._process.cpu_times()
        memory = self._process.memory_info()
        return {
            "cpu_user_seconds": times.user,
            "cpu_system_seconds": times.system,
            "cpu_percent": self._process.cpu_percent(None),
            "rss_bytes": memory.rss,
            "vms_bytes": memory.vms,
            "uptime_seconds": round(time.time() - self._started, 3),
            "event_loop_lag_ms": round(self._lag.lag * 1000, 3),
            "open_fds": self._process.num_fds() if hasattr(self._process, "num_fds") else None,
        }

    def collect(self) -> Iterator[Metric]:
        figures = self.snapshot()
        cpu = Metric("process_cpu_mode_seconds", "CPU time spent by mode, in seconds", "counter")
        cpu.add_sample(
            "process_cpu_mode_seconds_total", {"mode": "user"}, figures["cpu_user_seconds"]
        )
        cpu.add_sample(
            "process_cpu_mode_seconds_total", {"mode": "system"}, figures["cpu_system_seconds"]
        )
        yield cpu
        yield _gauge(
            "process_cpu_percent",
            "CPU usage since the previous collection, in percent",
            figures["cpu_percent"],
        )
        yield _gauge(
            "process_uptime_seconds",
            "Seconds since the application was set up",
            figures["uptime_seconds"],
        )
        yield _gauge(
            "event_loop_lag_seconds", "Event-loop lag at the last sample, in seconds", self._lag.lag
        )


def _gauge(name: str, documentation: str, value: float) -> Metric:
    metric = Metric(name, documentation, "gauge")
    metric.add_sample(name, {}, value)
    return metric
