"""The exception pipeline: run the filters (route, controller, global, built-in), render
the problem for the environment, log one structured line and report server errors."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from apiconform.common.logs import get_logger
from apiconform.common.redaction import redact_text
from apiconform.reference.errors.filters import (
    BUILTIN_FILTERS,
    AllExceptionsFilter,
    ArgumentsHost,
    ResponseDraft,
    attached_filters,
    handles,
    run_filter,
)
from apiconform.reference.errors.problem import (
    GENERIC_DETAIL,
    Problem,
    ProblemResponse,
    debug_members,
    finish,
)
from apiconform.reference.kernel.middleware import add_access_fields
from apiconform.reference.kernel.net import client_address

if TYPE_CHECKING:
    from apiconform.reference.errors.config import ErrorsConfig
    from apiconform.reference.kernel.application import Application

USER_ID_KEY = "apiconform.user_id"
HANDLED_ATTR = "__apiconform_handled__"

_log = get_logger("apiconform.errors")


class Reporter(Protocol):
    """Receives server errors (see :mod:`apiconform.reference.errors.monitoring`)."""

    def report(self, event: Any) -> None: ...


def user_id(request: Request) -> str | None:
    """The authenticated user's id, when an authentication layer has set one."""
    value = request.scope.get(USER_ID_KEY)
    return str(value) if value is not None else None


class ExceptionPipeline:
    """One per application. ``filters`` are the app's global filters (classes are
    resolved from the app's container, so they may have dependencies)."""

    def __init__(self, app: Application, filters: Sequence[object] = ()) -> None:
        self.app = app
        self.filters = list(filters)
        self.reporters: list[Reporter] = []
        self._instances: dict[type[Any], object] = {}
        # id(route) -> (route, its filters); routes are not hashable, and the route is kept
        # so that its id cannot be reused by another object
        self._scoped: dict[int, tuple[object, tuple[object, ...]]] = {}

    def prepare(self) -> None:
        """Build the global filter classes now, so a filter that cannot be built fails the
        application's creation rather than its first error."""
        for spec in self.filters:
            self._instance(spec)

    def _instance(self, spec: object) -> object:
        if not inspect.isclass(spec):
            return spec
        found = self._instances.get(spec)
        if found is None:
            if not self.app.container.has(spec):
                self.app.container.register(spec, spec, "singleton")
            found = self._instances[spec] = self.app.container.resolve(spec)
        return found

    def scoped_filters(self, request: Request) -> tuple[object, ...]:
        """The matched route's filters, then its controller's (none before routing)."""
        route = request.scope.get("route")
        definition = getattr(route, "definition", None)
        if definition is None:
            return ()
        cached = self._scoped.get(id(route))
        if cached is not None and cached[0] is route:
            return cached[1]
        found = (
            *attached_filters(definition.function),
            *attached_filters(definition.controller),
        )
        self._scoped[id(route)] = (route, found)
        return found

    async def handle(
        self, exc: Exception, request: Request, scoped: Sequence[object] | None = None
    ) -> Response:
        """The response for ``exc``; ``scoped`` are the route's then the controller's
        filters (by default those of the route the request matched). Never raises: a
        failing filter is logged and the exception is answered by the catch-all."""
        if scoped is None:
            scoped = self.scoped_filters(request)
        draft = ResponseDraft()
        host = ArgumentsHost(request, draft)
        result: Problem | Response | None = None
        for spec in [*scoped, *self.filters, *BUILTIN_FILTERS]:
            try:
                filter_ = self._instance(spec)
                if not handles(filter_, exc):
                    continue
                result = await run_filter(filter_, exc, host)
            except Exception as failure:
                _log.error(
                    "exception filter failed",
                    filter=getattr(spec, "__qualname__", type(spec).__qualname__),
                    error=repr(failure),
                    exc_info=failure,
                )
                result = AllExceptionsFilter().catch(exc, host)
            if result is not None:
                break
        assert result is not None  # AllExceptionsFilter always answers
        response = self.render(result, exc, request)
        for name, value in draft.headers.items():
            response.headers[name] = value
        if draft.status_code is not None:
            response.status_code = draft.status_code
        detail = result.detail if isinstance(result, Problem) else None
        self.log(exc, request, response.status_code, detail)
        if response.status_code >= 500:
            self._report(exc, request, response)
        setattr(exc, HANDLED_ATTR, True)
        return response

    def render(self, result: Problem | Response, exc: Exception, request: Request) -> Response:
        if isinstance(result, Response):
            return result
        problem = finish(result, path=request.scope["path"])
        if problem.detail:  # a detail may quote an exception message
            problem.detail = redact_text(problem.detail)
        if self.app.config.environment == "development":
            problem.extensions.update(debug_members(exc))
        elif problem.status >= 500 and not problem.public:
            # production: nothing of the exception reaches the client
            problem.detail = GENERIC_DETAIL
            problem.title = None
        return ProblemResponse(problem)

    def record(self, exc: Exception, request: Request, status: int) -> None:
        """Log and report an exception that could not be answered (the response had
        started): the same line and report as an answered one."""
        self.log(exc, request, status, None)
        if status >= 500:
            self._report(exc, request, None)
        setattr(exc, HANDLED_ATTR, True)

    def log(self, exc: Exception, request: Request, status: int, detail: str | None) -> None:
        """One line per failed request. A server error gets an error line of its own with
        the exception and its stack; a client error is told on the request's access line
        (``error`` and the ``detail`` the client got, never the raw input, which may hold
        secrets), so the request still has one line."""
        scope = request.scope
        user = user_id(request)
        if status < 500:
            add_access_fields(
                scope, error=type(exc).__qualname__, detail=(detail or "")[:500], user_id=user
            )
            return
        _log.error(
            "request failed",
            exc_info=exc,
            status=status,
            error=type(exc).__qualname__,
            method=scope.get("method"),
            path=scope.get("path"),
            client_ip=client_address(scope),
            user_id=user,
        )

    def _report(self, exc: Exception, request: Request, response: Response | None) -> None:
        """Hand a server error to the reporters (webhooks, Sentry); they queue and return."""
        if not self.reporters:
            return
        from apiconform.reference.errors.monitoring import ErrorEvent

        problem = getattr(response, "problem", None)
        event = ErrorEvent.from_exception(
            exc,
            status=response.status_code if response is not None else 500,
            service=self.app.id,
            environment=self.app.config.environment,
            method=request.scope.get("method"),
            path=request.scope.get("path"),
            user_id=user_id(request),
            problem=problem.body() if isinstance(problem, Problem) else None,
        )
        for reporter in self.reporters:
            try:
                reporter.report(event)
            except Exception as failure:  # a reporter must never break a response
                _log.warning(
                    "error reporter failed",
                    reporter=type(reporter).__qualname__,
                    error=repr(failure),
                )

    async def aclose(self) -> None:
        """Flush and close the reporters (the app calls this when it is disposed)."""
        for reporter in self.reporters:
            close = getattr(reporter, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception as failure:
                    _log.warning("error reporter close failed", error=repr(failure))


def reporters_from_config(app: Application, errors: ErrorsConfig) -> list[Reporter]:
    """The webhook and Sentry reporters the app's ``[errors]`` config asks for."""
    from apiconform.reference.errors.monitoring import SentryReporter, WebhookReporter

    found: list[Reporter] = []
    if errors.webhook_urls:
        secret = errors.webhook_secret.get_secret_value() if errors.webhook_secret else None
        found.append(
            WebhookReporter([str(u) for u in errors.webhook_urls], secret=secret, service=app.id)
        )
    if errors.sentry_dsn:
        found.append(
            SentryReporter(errors.sentry_dsn.get_secret_value(), environment=app.config.environment)
        )
    return found
