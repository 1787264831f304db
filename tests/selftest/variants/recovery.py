"""Broken variants of the demo's database errors, fallbacks, retries, circuit breaker and
exception-filter order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from apiconform.reference.demo import errors as demo_errors
from apiconform.reference.demo import filter_probes, recovery
from apiconform.reference.errors import fallback, filters, pipeline
from apiconform.reference.errors.breaker import CircuitOpenError
from apiconform.reference.errors.filters import ArgumentsHost
from tests.selftest.variants.base import ERRORS, broken

# -- database errors (ERR-XFORM-01..03) -------------------------------------------------------


@broken(
    ERRORS,
    {"ERR-XFORM-01": "ERR-XFORM-01.status", "ERR-XFORM-02": "ERR-XFORM-02.status"},
    skips={"ERR-XFORM-03"},
)
def no_database_filter() -> None:
    """Database errors reach the catch-all: conflicts and outages become 500s."""
    filters.BUILTIN_FILTERS = tuple(
        f for f in filters.BUILTIN_FILTERS if not isinstance(f, filters.DatabaseExceptionFilter)
    )
    pipeline.BUILTIN_FILTERS = filters.BUILTIN_FILTERS


@broken(ERRORS, {"ERR-XFORM-03": "ERR-XFORM-03.retry-after"})
def no_retry_after_for_database() -> None:
    """The database 503 says nothing about when to retry."""
    original = filters.DatabaseExceptionFilter.catch

    def catch(self: Any, exc: Exception, host: ArgumentsHost) -> Any:
        result = original(self, exc, host)
        if result is not None:
            result.headers.pop("Retry-After", None)
        return result

    filters.DatabaseExceptionFilter.catch = catch  # type: ignore[method-assign]


# -- retries (ERR-RECOV-01) -----------------------------------------------------------------


@broken(ERRORS, {"ERR-RECOV-01": "ERR-RECOV-01.logged"})
def no_retries() -> None:
    """The database operation is tried once."""
    recovery.RETRY_ATTEMPTS = 1


@broken(ERRORS, {"ERR-RECOV-01": "ERR-RECOV-01.up-to-maximum"})
def retries_past_the_maximum() -> None:
    """Eight attempts where the configuration says five."""
    recovery.RETRY_ATTEMPTS = 8
    recovery.RETRY_MAX_DELAY = 0.2


@broken(ERRORS, {"ERR-RECOV-01": "ERR-RECOV-01.backoff"})
def constant_backoff() -> None:
    """Retries a fixed time apart."""
    recovery.RETRY_BASE_DELAY = recovery.RETRY_MAX_DELAY = 0.2
    recovery.RETRY_JITTER = False


# -- fallbacks (ERR-DEGR-01) -----------------------------------------------------------------


def _replace_degraded(make: Any) -> None:
    current = demo_errors.ErrorsController.degraded
    replaced = make(current)
    replaced.__apiconform_route__ = current.__apiconform_route__
    demo_errors.ErrorsController.degraded = replaced


@broken(ERRORS, {"ERR-DEGR-01": "ERR-DEGR-01.answers"})
def no_fallback() -> None:
    """The route answers 503 while its dependency is down."""
    _replace_degraded(lambda current: current.__wrapped__)


@broken(ERRORS, {"ERR-DEGR-01": "ERR-DEGR-01.healthy-unflagged"})
def always_degraded() -> None:
    """Every answer of the route is flagged as degraded."""

    def make(current: Any) -> Any:
        async def degraded(self: Any) -> Any:
            answer = await current(self)
            if isinstance(answer, dict):
                return JSONResponse(answer, headers={"X-Degraded-Mode": "true"})
            return answer

        return degraded

    _replace_degraded(make)


@broken(ERRORS, {"ERR-DEGR-01": "ERR-DEGR-01.header"})
def no_degraded_header() -> None:
    """The fallback answers without saying it is degraded."""
    fallback.DEGRADED_HEADER = "X-Served-From"


class _Silent:
    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


@broken(ERRORS, {"ERR-DEGR-01": "ERR-DEGR-01.logged"})
def silent_degradation() -> None:
    """Degraded mode starts without a word in the log."""
    fallback._log = _Silent()


# -- the circuit breaker (ERR-RECOV-02) --------------------------------------------------------


@broken(ERRORS, {"ERR-RECOV-02": "ERR-RECOV-02.opens"})
def breaker_never_opens() -> None:
    """The circuit stays closed however often the downstream fails."""
    recovery.BREAKER_THRESHOLD = 1_000_000


@broken(ERRORS, {"ERR-RECOV-02": "ERR-RECOV-02.fails-fast"})
def open_circuit_answers_ok() -> None:
    """While the circuit is open the route answers 200 as if all were well."""
    original = recovery.GuardedDownstream.fetch

    async def fetch(self: Any) -> Any:
        try:
            return await original(self)
        except CircuitOpenError:
            return {"items": []}

    recovery.GuardedDownstream.fetch = fetch  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-RECOV-02": "ERR-RECOV-02.recovers"})
def breaker_never_recovers() -> None:
    """Once open, the circuit never lets a trial call through."""
    recovery.BREAKER_RESET = 3600.0


# -- exception filters (ERR-REG-01..03, ERR-ORDER-01) ---------------------------------------


def _handle_with(order: Any) -> None:
    """The pipeline tries the filters in the order ``order(scoped, global)`` gives."""
    original = pipeline.ExceptionPipeline.handle

    async def handle(
        self: Any, exc: Exception, request: Request, scoped: Sequence[object] | None = None
    ) -> Any:
        found = self.scoped_filters(request) if scoped is None else scoped
        saved, self.filters = self.filters, []
        try:
            return await original(self, exc, request, order(tuple(found), tuple(saved)))
        finally:
            self.filters = saved

    pipeline.ExceptionPipeline.handle = handle  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-REG-03": "ERR-REG-03.highest", "ERR-ORDER-01": "ERR-ORDER-01.route-first"})
def controller_filters_before_route_filters() -> None:
    """A controller's filters run before its routes' own."""
    _handle_with(lambda scoped, glob: (*reversed(scoped), *glob))


@broken(
    ERRORS,
    {
        "ERR-REG-02": "ERR-REG-02.outranks-global",
        "ERR-REG-03": "ERR-REG-03.highest",
        "ERR-ORDER-01": "ERR-ORDER-01.route-first",
    },
)
def global_filters_first() -> None:
    """Global filters run before route and controller filters."""
    _handle_with(lambda scoped, glob: (*glob, *scoped))


@broken(
    ERRORS,
    {"ERR-REG-01": "ERR-REG-01.everywhere", "ERR-ORDER-01": "ERR-ORDER-01.global-last"},
)
def global_filters_skipped_under_scoped_ones() -> None:
    """A route with filters of its own never reaches the global filters."""
    _handle_with(lambda scoped, glob: scoped or glob)


@broken(
    ERRORS,
    {"ERR-REG-01": "ERR-REG-01.unfiltered", "ERR-REG-02": "ERR-REG-02.own-controller-only"},
)
def controller_filter_everywhere() -> None:
    """A controller's filter registered for every controller."""
    filter_probes.GLOBAL_FILTERS.insert(0, filter_probes.ControllerStampFilter)


@broken(
    ERRORS,
    {
        "ERR-REG-02": "ERR-REG-02.outranks-global",
        "ERR-REG-03": "ERR-REG-03.own-route-only",
    },
)
def route_filter_on_the_whole_controller() -> None:
    """A route's filter applies to every route of its controller."""
    controller = filter_probes.FilteredController
    controller.__apiconform_filters__ = (  # type: ignore[attr-defined]
        filter_probes.RouteStampFilter,
        *controller.__apiconform_filters__,  # type: ignore[attr-defined]
    )


@broken(
    ERRORS,
    {"ERR-REG-01": "ERR-REG-01.everywhere", "ERR-ORDER-01": "ERR-ORDER-01.controller-next"},
)
def declining_ends_the_chain() -> None:
    """A filter that declines ends the chain: the catch-all answers."""
    original = filters.run_filter

    async def run_filter(filter_: object, exc: Exception, host: ArgumentsHost) -> Any:
        result = await original(filter_, exc, host)
        if result is None:
            return filters.AllExceptionsFilter().catch(exc, host)
        return result

    pipeline.run_filter = run_filter
