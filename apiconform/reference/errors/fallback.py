"""Fallback answers: a route answers from its last good result or a default, flagged with
``X-Degraded-Mode: true``, while its dependency is unavailable."""

from __future__ import annotations

import functools
import inspect
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from starlette.requests import HTTPConnection
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
    """What one degradable handler remembers within one application: the last good
    result per distinct call (its arguments), the newest ``size`` calls at most."""

    __slots__ = ("last_good", "size", "throttle")

    def __init__(self, log_interval: float, clock: Callable[[], float], size: int) -> None:
        self.last_good: OrderedDict[Hashable, Any] = OrderedDict()
        self.size = size
        self.throttle = OncePerInterval(log_interval, clock)

    def recall(self, key: Hashable | None) -> Any:
        if key is None:
            return _NOTHING
        return self.last_good.get(key, _NOTHING)

    def keep(self, key: Hashable | None, result: Any) -> None:
        if key is None:
            return
        self.last_good[key] = result
        self.last_good.move_to_end(key)
        while len(self.last_good) > self.size:
            self.last_good.popitem(last=False)


def _call_key(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Hashable | None:
    """What tells one call from another: its arguments, without ``self`` and the request
    objects; None when an argument cannot be a key (then nothing is remembered)."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None
    parts = []
    for name, value in bound.arguments.items():
        if name == "self" or isinstance(value, HTTPConnection):
            continue
        if isinstance(value, BaseModel):
            value = value.model_dump_json()
        parts.append((name, value))
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def fallback(
    *,
    default: Any = None,
    use_last_good: bool = True,
    on: ExceptionMatch = degrades,
    log_interval: float = 60.0,
    clock: Callable[[], float] = time.monotonic,
    name: str | None = None,
    remember: int = 1024,
) -> Callable[[F], F]:
    """Answer an async route handler from its last good result or ``default`` when it
    fails with an error ``on`` matches (by default :func:`degrades`).

    The degraded answer is a 200 ``JSONResponse`` with ``X-Degraded-Mode: true``; pydantic
    models are dumped in JSON mode. The last good result is kept per application and per
    call: a call's arguments (path and query parameters, a body) are its key, so
    ``/users/7`` is never answered with ``/users/8``'s data; the newest ``remember`` keys
    are kept, and a call whose arguments cannot be a key gets only the default.
    ``Response`` objects are returned but never kept. Everything runs on the event loop
    without awaiting between reading and writing that memory, so it needs no lock.
    ``default``
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
        outside_apps = _Memory(log_interval, clock, remember)
        signature = inspect.signature(fn)

        def memory() -> _Memory:
            app = get_current_application()
            if app is None:
                return outside_apps
            found = per_app.get(app)
            if found is None:
                found = per_app[app] = _Memory(log_interval, clock, remember)
            return found

        @functools.wraps(fn)
        async def degradable(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await fn(*args, **kwargs)
            except Exception as exc:
                if not matches(exc):
                    raise
                mine = memory()
                key = _call_key(signature, args, kwargs)
                source, body = "last_good", (mine.recall(key) if use_last_good else _NOTHING)
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
                memory().keep(_call_key(signature, args, kwargs), result)
            return result

        return cast(F, degradable)

    return decorate


def _encode(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return jsonable_encoder(value)
