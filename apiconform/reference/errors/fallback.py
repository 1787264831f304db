"""Fallback answers: a route answers from its last good result or a default, flagged with
``X-Degraded-Mode: true``, while its dependency is unavailable."""

from __future__ import annotations

import functools
import inspect
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

from apiconform.common.logs import get_logger
from apiconform.errors import ConfigError
from apiconform.reference.errors.classify import OncePerInterval, error_summary, is_transient
from apiconform.reference.errors.exceptions import ServiceUnavailable
from apiconform.reference.kernel.context import get_current_application

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application

F = TypeVar("F", bound=Callable[..., Any])

_log = get_logger("apiconform.resilience")


ExceptionMatch = (
    type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]
)
DEGRADED_HEADER = "X-Degraded-Mode"


def degrades(exc: BaseException) -> bool:
    """:func:`fallback`'s default: a 503 (an open circuit included) or a transient error."""
    return isinstance(exc, ServiceUnavailable) or is_transient(exc)


def _matcher(on: ExceptionMatch) -> Callable[[BaseException], bool]:
    if isinstance(on, (type, tuple)):
        types = on
        return lambda exc: isinstance(exc, types)
    return on


_NOTHING: Any = object()


class _Memory:
    """What one degradable handler remembers within one application."""

    __slots__ = ("last_good", "throttle")

    def __init__(self, log_interval: float, clock: Callable[[], float]) -> None:
        self.last_good: Any = _NOTHING
        self.throttle = OncePerInterval(log_interval, clock)


def fallback(
    *,
    default: Any = None,
    use_last_good: bool = True,
    on: ExceptionMatch = degrades,
    log_interval: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
    name: str | None = None,
) -> Callable[[F], F]:
    """Answer an async route handler from its last good result or ``default`` when it
    fails with an error ``on`` matches (by default :func:`degrades`).

    The degraded answer is a 200 ``JSONResponse`` with ``X-Degraded-Mode: true``; pydantic
    models are dumped in JSON mode. The last good result is one value per decorated
    function and application, whatever the arguments, so it suits routes that read the
    same thing on each call (a list, a status); ``Response`` objects are returned but never
    kept. Everything runs on the event loop without awaiting between reading and writing
    that memory, so it needs no lock. ``default``
    is a value or a zero-argument callable (sync or async); ``None`` means no default.
    With neither a last good result nor a default, and for errors ``on`` does not match,
    the error propagates. One WARNING ``degraded mode`` line (``operation``, ``error``,
    ``source``, ``suppressed``) is written per ``log_interval`` seconds per function and
    application.

    The wrapper keeps the handler's signature (``functools.wraps``) and its attributes,
    such as route metadata, so it stacks with ``@get(...)`` in either order.
    """
    matches = _matcher(on)

    def decorate(fn: F) -> F:
        if not inspect.iscoroutinefunction(fn):
            raise ConfigError(f"@fallback needs an async handler; {fn.__qualname__} is not")
        operation = name or fn.__qualname__
        # Applications in one process share controller classes, so what a handler
        # remembers is kept per application: one app must never answer with another's data.
        per_app: weakref.WeakKeyDictionary[Application, _Memory] = weakref.WeakKeyDictionary()
        outside_apps = _Memory(log_interval, clock)

        def memory() -> _Memory:
            app = get_current_application()
            if app is None:
                return outside_apps
            found = per_app.get(app)
            if found is None:
                found = per_app[app] = _Memory(log_interval, clock)
            return found

        @functools.wraps(fn)
        async def degradable(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await fn(*args, **kwargs)
            except Exception as exc:
                if not matches(exc):
                    raise
                mine = memory()
                source, body = "last_good", (mine.last_good if use_last_good else _NOTHING)
                if body is _NOTHING and default is not None:
                    source, body = "default", default() if callable(default) else default
                    if inspect.isawaitable(body):
                        body = await body
                if body is _NOTHING:
                    raise
                suppressed = mine.throttle.ready()
                if suppressed is not None:
                    _log.warning(
                        "degraded mode",
                        operation=operation,
                        error=error_summary(exc),
                        source=source,
                        suppressed=suppressed,
                    )
                return JSONResponse(_encode(body), headers={DEGRADED_HEADER: "true"})
            if use_last_good and not isinstance(result, Response):
                memory().last_good = result  # one slot: the newest good result only
            return result

        return cast(F, degradable)

    return decorate


def _encode(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return jsonable_encoder(value)
