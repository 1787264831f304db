"""Variants of the demo's database indicator and readiness under a database outage
(OBS-DB-01, OBS-DB-02, OBS-READY-02).

They patch the store's ``DatabaseIndicator.check`` and the observability feature's
``HealthChecks.readiness`` / ``liveness_answer``. The outage ones are observable only with a
networked database the suite can cut (``DATABASE_URL``); without one they skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from apiconform.reference.kernel.health import HealthResult, HealthStatus
from apiconform.reference.observability.health import HealthChecks
from apiconform.reference.store.feature import DatabaseIndicator
from tests.selftest.variants.base import broken

OBSERVABILITY = "add-health-observability"
CLAIMS = (OBSERVABILITY,)
Body = dict[str, Any]
Readiness = Callable[[HealthChecks, Iterable[str] | None], Any]


def _indicator(change: Callable[[HealthResult], HealthResult]) -> None:
    check = DatabaseIndicator.check

    async def changed(self: DatabaseIndicator) -> HealthResult:
        return change(await check(self))

    DatabaseIndicator.check = changed  # type: ignore[method-assign]


def _failed_readiness(change: Callable[[Body], Body]) -> None:
    """Rewrite the body of a failing readiness answer."""
    readiness = HealthChecks.readiness

    async def changed(self: HealthChecks, names: Iterable[str] | None = None) -> Any:
        status, body = await readiness(self, names)
        return (status, change(body)) if status != 200 else (status, body)

    HealthChecks.readiness = changed  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-DB-01": "OBS-DB-01.response-time"}, claims=CLAIMS)
def database_indicator_without_response_time() -> None:
    """Readiness reports the database up but not how long its query took."""
    readiness = HealthChecks.readiness

    async def untimed(self: HealthChecks, names: Iterable[str] | None = None) -> Any:
        status, body = await readiness(self, names)
        database = body.get("checks", {}).get("database")
        if database:
            for key in ("latency_ms", "duration_ms"):
                database.pop(key, None)
        return status, body

    HealthChecks.readiness = untimed  # type: ignore[method-assign]


@broken(OBSERVABILITY, {"OBS-DB-01": "OBS-DB-01.healthy-bound"}, claims=CLAIMS)
def slow_database_still_up() -> None:
    """The database indicator reports up although its query took 2.5 s."""

    def slow(result: HealthResult) -> HealthResult:
        if result.status is not HealthStatus.UP:
            return result
        return HealthResult(HealthStatus.UP, {**result.details, "latency_ms": 2500.0})

    _indicator(slow)


@broken(
    OBSERVABILITY,
    {"OBS-DB-02": "OBS-DB-02.readiness", "OBS-READY-02": "OBS-READY-02.status"},
    claims=CLAIMS,
)
def database_not_critical_for_readiness() -> None:
    """A lost database does not fail readiness (its indicator is not critical)."""
    DatabaseIndicator.critical = False


@broken(
    OBSERVABILITY,
    {"OBS-DB-02": "OBS-DB-02.down", "OBS-READY-02": "OBS-READY-02.names"},
    claims=CLAIMS,
)
def failed_readiness_names_no_dependency() -> None:
    """A failing readiness answer says only that something failed."""

    def anonymous(body: Body) -> Body:
        return {
            "status": "not_ready",
            "error": "a dependency failed",
            "timestamp": body["timestamp"],
        }

    _failed_readiness(anonymous)


def _without_member(name: str) -> Callable[[Body], Body]:
    """The body without ``name``, at its top and in each dependency's entry."""

    def strip(body: Body) -> Body:
        checks = {
            dependency: {k: v for k, v in entry.items() if k != name}
            for dependency, entry in body.get("checks", {}).items()
        }
        return {k: v for k, v in body.items() if k != name} | {"checks": checks}

    return strip


@broken(OBSERVABILITY, {"OBS-READY-02": "OBS-READY-02.message"}, claims=CLAIMS)
def failed_readiness_without_a_message() -> None:
    """A failing readiness answer gives statuses, no error message."""
    _failed_readiness(_without_member("error"))


@broken(OBSERVABILITY, {"OBS-READY-02": "OBS-READY-02.timestamp"}, claims=CLAIMS)
def failed_readiness_without_a_time() -> None:
    """A failing readiness answer carries no timestamp."""
    _failed_readiness(_without_member("timestamp"))


@broken(OBSERVABILITY, {"OBS-DB-02": "OBS-DB-02.alive"}, claims=CLAIMS)
def liveness_follows_the_database() -> None:
    """Liveness checks the database too, so an outage reports the process dead."""
    answer = HealthChecks.liveness_answer

    def live(self: HealthChecks) -> tuple[int, Body]:
        status, body = answer(self)
        if self.last_database_down:
            return 503, {"status": "error", "error": "database unreachable"}
        return status, body

    readiness = HealthChecks.readiness

    async def remembering(self: HealthChecks, names: Iterable[str] | None = None) -> Any:
        status, body = await readiness(self, names)
        database = body.get("checks", {}).get("database", {})
        self.last_database_down = database.get("status") not in (None, "up")
        return status, body

    HealthChecks.last_database_down = False  # type: ignore[attr-defined]
    HealthChecks.liveness_answer = live  # type: ignore[method-assign]
    HealthChecks.readiness = remembering  # type: ignore[method-assign]


@broken(
    OBSERVABILITY,
    {
        "OBS-DB-01": "OBS-DB-01.up",
        "OBS-IND-02": "OBS-IND-02.others",
        # a degraded critical indicator fails readiness, and the status's overall one
        "OBS-READY-01": "OBS-READY-01.status",
        "OBS-STAT-01": "OBS-STAT-01.status",
    },
    skips={"OBS-DB-02", "OBS-READY-02"},  # readiness is not 200 before the cut
    claims=CLAIMS,
)
def healthy_database_reported_degraded() -> None:
    """The database indicator reports degraded although its query answered at once."""

    def degraded(result: HealthResult) -> HealthResult:
        if result.status is not HealthStatus.UP:
            return result
        return HealthResult(HealthStatus.DEGRADED, result.details)

    _indicator(degraded)
