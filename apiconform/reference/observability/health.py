"""Running health indicators: concurrently, each under its own timeout, into readiness.

Liveness reflects the process only (a dependency outage never fails it, or an
orchestrator would restart every instance during an outage); readiness aggregates the
indicators the features contributed; a timed-out indicator is ``degraded`` and the others
still report. Readiness fails when a *critical* indicator is down or timed out, and as
soon as shutdown begins.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apiconform.common.logs import get_logger
from apiconform.common.redaction import redact_text
from apiconform.reference.kernel.health import HealthIndicator, HealthResult, HealthStatus

_log = get_logger("apiconform.health")
Clock = Callable[[], float]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class CheckOutcome:
    """One indicator's result as reported: status, whether it is critical, details."""

    name: str
    status: HealthStatus
    critical: bool
    details: Mapping[str, Any]
    timestamp: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "critical": self.critical,
            "timestamp": self.timestamp,
            **self.details,
        }

    @property
    def fails_readiness(self) -> bool:
        return self.critical and self.status is not HealthStatus.UP


@dataclass
class Liveness:
    """Whether the process can still serve: a fatal-error hook marks it broken."""

    broken: str | None = None
    since: str | None = None

    def mark_broken(self, reason: str) -> None:
        self.broken = redact_text(reason)[:300]
        self.since = utc_now()
        _log.error("application marked broken", reason=self.broken)

    def clear(self) -> None:
        self.broken = self.since = None


async def run_indicator(indicator: HealthIndicator, default_timeout: float) -> CheckOutcome:
    """``indicator.check()`` under its timeout: a timeout is degraded, an exception down."""
    timeout = getattr(indicator, "timeout", None) or default_timeout
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(indicator.check(), timeout)
    except TimeoutError:
        result = HealthResult(
            HealthStatus.DEGRADED,
            {"error": "timed out", "timeout_ms": round(timeout * 1000, 1)},
        )
    except Exception as exc:
        result = HealthResult(
            HealthStatus.DOWN, {"error": redact_text(f"{type(exc).__name__}: {exc}")[:300]}
        )
    details = dict(result.details)
    details.setdefault("duration_ms", round((time.perf_counter() - started) * 1000, 1))
    outcome = CheckOutcome(
        indicator.name, result.status, bool(indicator.critical), details, utc_now()
    )
    if outcome.status is not HealthStatus.UP:
        _log.warning(
            "health indicator not up",
            indicator=outcome.name,
            status=str(outcome.status),
            critical=outcome.critical,
            error=details.get("error"),
        )
    return outcome


@dataclass
class HealthChecks:
    """The indicators of one application, run together; readiness answers may be reused
    for ``cache_seconds`` (only unfiltered ones)."""

    indicators: Sequence[HealthIndicator]
    default_timeout: float = 2.0
    cache_seconds: float = 0.0
    clock: Clock = time.monotonic
    draining: bool = False
    liveness: Liveness = field(default_factory=Liveness)
    _cached: tuple[float, list[CheckOutcome]] | None = None

    @property
    def names(self) -> list[str]:
        return [indicator.name for indicator in self.indicators]

    def select(self, names: Iterable[str] | None) -> list[HealthIndicator]:
        """The indicators named (all when ``names`` is None); unknown names raise
        ``KeyError`` naming the first one."""
        if names is None:
            return list(self.indicators)
        wanted = list(dict.fromkeys(names))
        known = {indicator.name: indicator for indicator in self.indicators}
        for name in wanted:
            if name not in known:
                raise KeyError(name)
        return [known[name] for name in wanted]

    async def run(self, names: Iterable[str] | None = None) -> list[CheckOutcome]:
        selected = self.select(names)
        cacheable = names is None and self.cache_seconds > 0
        now = self.clock()
        if cacheable and self._cached is not None and now - self._cached[0] < self.cache_seconds:
            return self._cached[1]
        outcomes = list(
            await asyncio.gather(*(run_indicator(i, self.default_timeout) for i in selected))
        )
        if cacheable:
            self._cached = (now, outcomes)
        return outcomes

    async def readiness(self, names: Iterable[str] | None = None) -> tuple[int, dict[str, Any]]:
        """Status code and body of the readiness probe."""
        if self.draining:
            return 503, {"status": "shutting_down", "timestamp": utc_now(), "checks": {}}
        outcomes = await self.run(names)
        failed = [o for o in outcomes if o.fails_readiness]
        body: dict[str, Any] = {
            "status": "not_ready" if failed else "ready",
            "timestamp": utc_now(),
            "checks": {o.name: o.to_dict() for o in outcomes},
        }
        if failed:
            body["failed"] = [o.name for o in failed]
            body["error"] = "; ".join(
                f"{o.name}: {o.details.get('error', str(o.status))}" for o in failed
            )
            return 503, body
        if any(o.status is not HealthStatus.UP for o in outcomes):
            body["degraded"] = [o.name for o in outcomes if o.status is not HealthStatus.UP]
        return 200, body

    def liveness_answer(self) -> tuple[int, dict[str, Any]]:
        if self.liveness.broken is not None:
            return 503, {
                "status": "error",
                "error": self.liveness.broken,
                "since": self.liveness.since,
            }
        return 200, {"status": "ok"}
