"""Execution context on :mod:`contextvars` (the spec's AsyncLocalStorage).

A context variable is copied into every task created under it, so the current application,
scope and correlation id follow ``await``, ``asyncio.create_task`` and ``asyncio.gather``
without being passed by hand.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from apiconform.common.logs import (
    reset_correlation_id,
    reset_log_scope,
    set_correlation_id,
    set_log_scope,
)

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application
    from apiconform.reference.kernel.di import Container

T = TypeVar("T")


@dataclass(frozen=True)
class ScopeContext:
    """What code running inside an application scope can see."""

    app: Application
    container: Container
    scope_id: str


_current: ContextVar[ScopeContext | None] = ContextVar("apiconform_scope", default=None)
_correlation: ContextVar[str | None] = ContextVar("apiconform_correlation_id", default=None)


def get_current_application() -> Application | None:
    """The application whose scope the caller runs in, or None outside any scope."""
    current = _current.get()
    return current.app if current is not None else None


def get_current_scope() -> ScopeContext | None:
    """The innermost scope (application, container and scope id), or None."""
    return _current.get()


def get_correlation_id() -> str | None:
    return _correlation.get()


RequestTokens = tuple[Any, Any, Any, Any]


def enter_request(
    app: Application, container: Container, scope_id: str, correlation_id: str
) -> RequestTokens:
    """Enter a request's scope and correlation id; undo with :func:`leave_request`. (The
    request middleware's fast path; elsewhere use the context managers below.)"""
    return (
        _current.set(ScopeContext(app, container, scope_id)),
        set_log_scope(app.id, scope_id),
        _correlation.set(correlation_id),
        set_correlation_id(correlation_id),
    )


def leave_request(tokens: RequestTokens) -> None:
    current, log_scope, correlation, log_correlation = tokens
    reset_correlation_id(log_correlation)
    _correlation.reset(correlation)
    reset_log_scope(log_scope)
    _current.reset(current)


@contextmanager
def scope_context(
    app: Application, container: Container | None = None, scope_id: str | None = None
) -> Iterator[ScopeContext]:
    """Enter an application scope for the duration of a ``with`` block."""
    ctx = ScopeContext(app, container or app.container, scope_id or app.scope_id)
    token = _current.set(ctx)
    log_token = set_log_scope(app.id, ctx.scope_id)  # for the log lines
    try:
        yield ctx
    finally:
        reset_log_scope(log_token)
        _current.reset(token)


@contextmanager
def correlation_context(correlation_id: str) -> Iterator[str]:
    token = _correlation.set(correlation_id)
    log_token = set_correlation_id(correlation_id)
    try:
        yield correlation_id
    finally:
        reset_correlation_id(log_token)
        _correlation.reset(token)


@overload
def run_with_application_scope(
    app: Application, fn: Callable[[], Awaitable[T]]
) -> Awaitable[T]: ...
@overload
def run_with_application_scope(app: Application, fn: Callable[[], T]) -> T: ...
def run_with_application_scope(app: Application, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` with ``app`` as the current application.

    A coroutine function gives back an awaitable that enters the scope when awaited, so
    the scope covers the whole coroutine and every task it creates; a plain function runs
    at once inside the scope.
    """
    if inspect.iscoroutinefunction(fn):

        async def scoped() -> Any:
            with scope_context(app):
                return await fn()

        return scoped()
    with scope_context(app):
        result = fn()
        if inspect.isawaitable(result):
            # a lambda returning a coroutine: the scope must still cover its execution
            awaitable = result

            async def finish() -> Any:
                with scope_context(app):
                    return await awaitable

            return finish()
        return result
