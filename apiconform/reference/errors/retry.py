"""Retrying transient failures with capped exponential backoff, on tenacity."""

from __future__ import annotations

import asyncio
import functools
import inspect
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from apiconform.common.logs import get_logger
from apiconform.errors import ConfigError
from apiconform.reference.errors.classify import error_summary, is_transient

P = ParamSpec("P")
R = TypeVar("R")

_log = get_logger("apiconform.resilience")


class ExponentialBackoff:
    """Delay before retry ``n`` (1-based): ``base * 2**(n-1)`` capped at ``max_delay``.

    With ``jitter`` it is *equal jitter*: half the capped delay plus a random part of up
    to the other half, so the delay lies in ``[d/2, d]``. Unlike full jitter (``[0, d]``)
    it keeps a floor, so the backoff really grows while still spreading out the callers
    that failed together.
    """

    def __init__(self, base_delay: float, max_delay: float, *, jitter: bool = True) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.jitter = jitter

    def delay(self, retry_number: int) -> float:
        exponent = min(max(retry_number - 1, 0), 64)  # beyond 2**64 the cap applies anyway
        capped = min(self.max_delay, self.base_delay * 2.0**exponent)
        if not self.jitter:
            return capped
        return capped / 2 + random.uniform(0, capped / 2)

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.delay(retry_state.attempt_number)


def retry(
    *,
    attempts: int = 3,
    base_delay: float = 0.1,
    max_delay: float = 2.0,
    jitter: bool = True,
    retry_if: Callable[[BaseException], bool] = is_transient,
    name: str | None = None,
    sleep: Callable[[float], Any] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry a sync or async callable while it raises errors ``retry_if`` accepts.

    At most ``attempts`` calls in all, with :class:`ExponentialBackoff` between them. Each
    retry writes one WARNING line ``retrying`` with ``operation``, ``attempt`` (the attempt
    that failed), ``max_attempts``, ``delay_s`` and ``error`` (type and message, secrets
    masked). After the last attempt, or on an error ``retry_if`` rejects, the error is
    raised unchanged. ``sleep`` replaces ``time.sleep`` / ``asyncio.sleep`` (tests); for an
    async callable it may be sync or async.
    """
    if attempts < 1:
        raise ConfigError(f"retry: attempts must be at least 1, got {attempts}")
    if base_delay < 0 or max_delay < base_delay:
        raise ConfigError(
            f"retry: need 0 <= base_delay <= max_delay, got {base_delay} and {max_delay}"
        )
    wait = ExponentialBackoff(base_delay, max_delay, jitter=jitter)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        operation = name or getattr(fn, "__qualname__", type(fn).__qualname__)

        def log_retry(state: RetryCallState) -> None:
            # tenacity calls this only after a failed attempt, with the next sleep decided
            assert state.outcome is not None
            assert state.next_action is not None
            error = state.outcome.exception()
            assert error is not None
            _log.warning(
                "retrying",
                operation=operation,
                attempt=state.attempt_number,
                max_attempts=attempts,
                delay_s=round(state.next_action.sleep, 3),
                error=error_summary(error),
            )

        if inspect.iscoroutinefunction(fn):

            async def pause(seconds: float) -> None:
                outcome = (sleep or asyncio.sleep)(seconds)
                if inspect.isawaitable(outcome):
                    await outcome

            @functools.wraps(fn)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                policy = AsyncRetrying(
                    sleep=pause,
                    stop=stop_after_attempt(attempts),
                    wait=wait,
                    retry=retry_if_exception(retry_if),
                    before_sleep=log_retry,
                    reraise=True,  # the caller sees its own error, not tenacity's RetryError
                )
                return await policy(fn, *args, **kwargs)

            return cast(Callable[P, R], run_async)

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            policy = Retrying(
                sleep=sleep or time.sleep,
                stop=stop_after_attempt(attempts),
                wait=wait,
                retry=retry_if_exception(retry_if),
                before_sleep=log_retry,
                reraise=True,
            )
            return policy(fn, *args, **kwargs)

        return run

    return decorate
