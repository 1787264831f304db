"""A circuit breaker: fail fast while a dependency keeps failing, probe it again after a
timeout; a registry lists the breakers for health checks and metrics."""

from __future__ import annotations

import functools
import inspect
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar, cast

from apiconform.common.logs import get_logger
from apiconform.errors import ConfigError
from apiconform.reference.errors.classify import is_failure
from apiconform.reference.errors.exceptions import ServiceUnavailable

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_log = get_logger("apiconform.resilience")


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(ServiceUnavailable):
    """A call refused without being made: the circuit is open (or its trial slots are
    taken). A 503 whose ``Retry-After`` says when a trial call will be let through.

    The circuit's name is kept in ``circuit`` for logs, not put in the detail or the
    problem members: it would tell clients which internal dependency is down.
    """

    def __init__(self, circuit: str, retry_after: int) -> None:
        super().__init__(
            "A dependency is temporarily unavailable; try again later.",
            retry_after=retry_after,
        )
        self.circuit = circuit


class CircuitBreaker:
    """Fails fast while a dependency keeps failing, and probes it again after a while.

    * closed: calls go through; ``failure_threshold`` *consecutive* failures open it (a
      success, or an error that does not count as a failure, resets the count). Counting
      consecutive failures needs no window to tune and reacts to a dependency that is down,
      which is what a breaker is for; an error rate over a window suits sampling better.
    * open: calls raise :class:`CircuitOpenError` without being made, until
      ``reset_timeout`` seconds have passed since it opened.
    * half_open: up to ``half_open_max_calls`` trial calls at a time go through (others
      are refused); the first trial that succeeds closes the circuit, one that fails opens
      it again and restarts the timeout.

    Which errors count is ``counts_as_failure`` (default :func:`is_failure`); every error is
    re-raised either way. A call that finishes after the state it was admitted in has
    changed only updates the totals. Time comes from ``clock`` (monotonic seconds).

    Concurrency: state changes happen under a ``threading.Lock`` held only for bookkeeping,
    never across the protected call, so one breaker may be shared by coroutines on an event
    loop and by the worker threads running sync handlers.
    """

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        half_open_max_calls: int = 1,
        clock: Callable[[], float] = time.monotonic,
        counts_as_failure: Callable[[BaseException], bool] = is_failure,
    ) -> None:
        for field, value, least in (
            ("failure_threshold", failure_threshold, 1),
            ("reset_timeout", reset_timeout, 0),
            ("half_open_max_calls", half_open_max_calls, 1),
        ):
            if value < least:
                raise ConfigError(f"circuit {name!r}: {field} must be >= {least}, got {value}")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.half_open_max_calls = half_open_max_calls
        self._clock = clock
        self._counts_as_failure = counts_as_failure
        self._lock = threading.Lock()
        self._state = CircuitState.CLOSED
        self._generation = 0  # bumped on every transition: tells stale results apart
        self._failures = 0
        self._opened_at: float | None = None
        self._trials = 0
        self._total_calls = 0
        self._total_failures = 0
        self._rejected = 0

    @property
    def state(self) -> CircuitState:
        with self._lock:
            changes = self._advance()
            state = self._state
        self._log(changes)
        return state

    async def call(self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """Await ``fn(*args, **kwargs)`` through the breaker."""
        generation = self._admit()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            self._finish(generation, failed=self._counts_as_failure(exc))
            raise
        except BaseException:  # cancelled: no verdict on the dependency
            self._finish(generation, failed=None)
            raise
        self._finish(generation, failed=False)
        return result

    def call_sync(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Call the plain function ``fn(*args, **kwargs)`` through the breaker."""
        generation = self._admit()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            self._finish(generation, failed=self._counts_as_failure(exc))
            raise
        except BaseException:
            self._finish(generation, failed=None)
            raise
        self._finish(generation, failed=False)
        return result

    def protect(self, fn: F) -> F:
        """Decorator: every call of ``fn`` (sync or async) goes through the breaker."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                return await self.call(fn, *args, **kwargs)

            return cast(F, guarded_async)

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return self.call_sync(fn, *args, **kwargs)

        return cast(F, guarded)

    def snapshot(self) -> dict[str, Any]:
        """Counters and state for metrics and health: ``failures`` is the current run of
        consecutive failures, ``opened_at`` a reading of the breaker's clock (or None),
        ``retry_after`` the seconds until a trial is let through (0 unless open),
        ``total_calls`` includes the ``rejected`` ones."""
        with self._lock:
            changes = self._advance()
            data = {
                "name": self.name,
                "state": self._state.value,
                "failures": self._failures,
                "opened_at": self._opened_at,
                "retry_after": self._retry_after() if self._state is CircuitState.OPEN else 0,
                "total_calls": self._total_calls,
                "total_failures": self._total_failures,
                "rejected": self._rejected,
            }
        self._log(changes)
        return data

    # The methods below that return transitions run under the lock; _log runs outside it.

    def _admit(self) -> int:
        refusal: CircuitOpenError | None = None
        with self._lock:
            changes = self._advance()
            self._total_calls += 1
            if self._state is CircuitState.OPEN:
                refusal = CircuitOpenError(self.name, self._retry_after())
            elif self._state is CircuitState.HALF_OPEN:
                if self._trials >= self.half_open_max_calls:
                    refusal = CircuitOpenError(self.name, 1)  # a trial is under way
                else:
                    self._trials += 1
            if refusal is not None:
                self._rejected += 1
            generation = self._generation
        self._log(changes)
        if refusal is not None:
            raise refusal
        return generation

    def _finish(self, generation: int, *, failed: bool | None) -> None:
        changes: list[tuple[CircuitState, CircuitState]] = []
        with self._lock:
            if failed:
                self._total_failures += 1
            if generation == self._generation:
                if self._state is CircuitState.HALF_OPEN:
                    self._trials -= 1
                    if failed is not None:
                        to = CircuitState.OPEN if failed else CircuitState.CLOSED
                        changes.append(self._move(to))
                elif failed:
                    self._failures += 1
                    if self._failures >= self.failure_threshold:
                        changes.append(self._move(CircuitState.OPEN))
                elif failed is False:
                    self._failures = 0
        self._log(changes)

    def _advance(self) -> list[tuple[CircuitState, CircuitState]]:
        if (
            self._state is CircuitState.OPEN
            and self._opened_at is not None
            and self._clock() - self._opened_at >= self.reset_timeout
        ):
            return [self._move(CircuitState.HALF_OPEN)]
        return []

    def _move(self, to: CircuitState) -> tuple[CircuitState, CircuitState]:
        before, self._state = self._state, to
        self._generation += 1
        self._trials = 0
        if to is CircuitState.OPEN:
            self._opened_at = self._clock()
        elif to is CircuitState.CLOSED:
            self._failures = 0
            self._opened_at = None
        return before, to

    def _retry_after(self) -> int:
        opened_at = self._opened_at if self._opened_at is not None else self._clock()
        return max(1, math.ceil(opened_at + self.reset_timeout - self._clock()))

    def _log(self, changes: list[tuple[CircuitState, CircuitState]]) -> None:
        for before, to in changes:
            emit = _log.warning if to is CircuitState.OPEN else _log.info
            emit("circuit state changed", circuit=self.name, **{"from": before.value}, to=to.value)


class CircuitRegistry:
    """The circuit breakers of one application, by name, for health checks and metrics.

    Created and injected by the application (not process-global), so two applications in
    one process keep separate breakers.
    """

    def __init__(self) -> None:
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def add(self, breaker: CircuitBreaker) -> CircuitBreaker:
        with self._lock:
            if breaker.name in self._breakers:
                raise ConfigError(f"a circuit breaker named {breaker.name!r} already exists")
            self._breakers[breaker.name] = breaker
        return breaker

    def breaker(self, name: str, **options: Any) -> CircuitBreaker:
        """The breaker called ``name``, created with ``options`` on first use."""
        with self._lock:
            found = self._breakers.get(name)
            if found is None:
                found = self._breakers[name] = CircuitBreaker(name, **options)
            return found

    def get(self, name: str) -> CircuitBreaker | None:
        return self._breakers.get(name)

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(list(self._breakers.values()))

    def __len__(self) -> int:
        return len(self._breakers)

    def snapshots(self) -> list[dict[str, Any]]:
        return [breaker.snapshot() for breaker in self]
