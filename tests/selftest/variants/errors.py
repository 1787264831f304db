"""Variants of the demo that break add-error-handling, one defect each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from apiconform.reference.errors import fallback, filters, pipeline, problem, webhook
from apiconform.reference.errors.filters import ArgumentsHost
from apiconform.reference.kernel import application, stack

_render = pipeline.ExceptionPipeline.render


def _render_as(environment: str) -> Callable[..., Response]:
    """``render`` as if the app ran in ``environment``."""

    def render(self: Any, result: Any, exc: Exception, request: Request) -> Response:
        real = self.app.config
        self.app.config = real.model_copy(update={"environment": environment})
        try:
            return _render(self, result, exc, request)
        finally:
            self.app.config = real

    return render


def plain_json_errors() -> None:
    """Problems sent as application/json."""
    problem.ProblemResponse.media_type = "application/json"
    original = problem.ProblemResponse.__init__

    def init(self: Any, p: Any, extra_headers: Any = None) -> None:
        original(self, p, extra_headers)
        self.headers["content-type"] = "application/json"

    problem.ProblemResponse.__init__ = init  # type: ignore[method-assign]


def stack_in_production() -> None:
    """Production answers carry the stack, as development does."""
    pipeline.ExceptionPipeline.render = _render_as("development")  # type: ignore[method-assign]


def no_stack_in_development() -> None:
    """Development answers are as terse as production's."""
    pipeline.ExceptionPipeline.render = _render_as("production")  # type: ignore[method-assign]


def framework_errors_unhandled() -> None:
    """Unknown routes and wrong methods get the framework's own plain answers."""
    original = stack.install_exception_handlers

    def install(app: Any, http: Any) -> None:
        original(app, http)
        from starlette.exceptions import HTTPException

        async def plain(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            return PlainTextResponse(str(exc.detail), exc.status_code, headers=exc.headers)

        http.add_exception_handler(HTTPException, plain)

    stack.install_exception_handlers = install


def _patch_validation(catch: Callable[..., Any]) -> None:
    filters.ValidationExceptionFilter.catch = catch  # type: ignore[method-assign]


def validation_as_400() -> None:
    """Failed validation answered 400 instead of 422."""
    original = filters.ValidationExceptionFilter.catch

    def catch(self: Any, exc: Exception, host: ArgumentsHost) -> Any:
        result = original(self, exc, host)
        result.status = 400
        return result

    _patch_validation(catch)


def first_error_only() -> None:
    """Only the first failed field is reported."""
    original = filters.ValidationExceptionFilter.catch

    def catch(self: Any, exc: Exception, host: ArgumentsHost) -> Any:
        result = original(self, exc, host)
        if "errors" in result.extensions:
            result.extensions["errors"] = result.extensions["errors"][:1]
        return result

    _patch_validation(catch)


def no_correlation_in_body() -> None:
    """Problems without correlationId."""
    original = problem.finish

    def finish(p: Any, *, path: str, correlation_id: str | None = None) -> Any:
        done = original(p, path=path, correlation_id=correlation_id)
        done.extensions.pop("correlationId", None)
        return done

    pipeline.finish = finish


def no_timestamp() -> None:
    """Problems without a timestamp."""
    original = problem.finish

    def finish(p: Any, *, path: str, correlation_id: str | None = None) -> Any:
        done = original(p, path=path, correlation_id=correlation_id)
        done.extensions.pop("timestamp", None)
        return done

    pipeline.finish = finish


def no_database_filter() -> None:
    """Database errors reach the catch-all: conflicts and outages become 500s."""
    filters.BUILTIN_FILTERS = tuple(
        f for f in filters.BUILTIN_FILTERS if not isinstance(f, filters.DatabaseExceptionFilter)
    )
    pipeline.BUILTIN_FILTERS = filters.BUILTIN_FILTERS


def no_retry_after_for_database() -> None:
    """The database 503 says nothing about when to retry."""
    original = filters.DatabaseExceptionFilter.catch

    def catch(self: Any, exc: Exception, host: ArgumentsHost) -> Any:
        result = original(self, exc, host)
        if result is not None:
            result.headers.pop("Retry-After", None)
        return result

    filters.DatabaseExceptionFilter.catch = catch  # type: ignore[method-assign]


def silent_errors() -> None:
    """Failed requests are not logged."""
    pipeline.ExceptionPipeline.log = lambda self, *args: None  # type: ignore[method-assign]


def no_stack_in_log() -> None:
    """Server errors are logged without their stack."""

    def log(self: Any, exc: Exception, request: Request, status: int, detail: Any) -> None:
        pipeline._log.error(
            "request failed",
            status=status,
            method=request.method,
            path=request.url.path,
            client_ip="127.0.0.1",
        )

    pipeline.ExceptionPipeline.log = log  # type: ignore[method-assign]


def log_without_request() -> None:
    """Error lines say what failed but not which request it was."""

    def log(self: Any, exc: Exception, request: Request, status: int, detail: Any) -> None:
        pipeline._log.error("request failed", status=status, exc_info=exc)

    pipeline.ExceptionPipeline.log = log  # type: ignore[method-assign]


def no_degraded_header() -> None:
    """The fallback answers without saying it is degraded."""
    fallback.DEGRADED_HEADER = "X-Served-From"


def no_reporters() -> None:
    """Neither the webhook nor Sentry hears of server errors."""
    application.reporters_from_config = lambda app: []


def unsigned_webhook() -> None:
    """The webhook goes out without its signature."""
    webhook.sign = lambda body, secret: "sha256=" + "0" * 64


def no_sentry() -> None:
    """Only the webhook is told: the Sentry DSN is ignored."""
    original = application.reporters_from_config

    def reporters(app: Any) -> list[Any]:
        from apiconform.reference.errors.monitoring import SentryReporter

        return [r for r in original(app) if not isinstance(r, SentryReporter)]

    application.reporters_from_config = reporters


def crash_as_plain_text() -> None:
    """Unhandled exceptions answered with a plain-text 500."""
    filters.AllExceptionsFilter.catch = (  # type: ignore[method-assign]
        lambda self, exc, host: PlainTextResponse("Internal Server Error", 500)
    )


def bad_request_without_detail() -> None:
    """400 problems that do not say what is wrong."""
    original = filters.HttpExceptionFilter.catch

    def catch(self: Any, exc: Exception, host: ArgumentsHost) -> Any:
        result = original(self, exc, host)
        if result.status == 400:
            result.detail = None
        return result

    filters.HttpExceptionFilter.catch = catch  # type: ignore[method-assign]
    original_validation = filters.ValidationExceptionFilter.catch

    def validation(self: Any, exc: Exception, host: ArgumentsHost) -> Any:
        result = original_validation(self, exc, host)
        if result.status == 400:
            result.detail = None
        return result

    _patch_validation(validation)


def no_body_limit() -> None:
    """Bodies of any size are read."""
    from apiconform.reference.errors import middleware

    middleware.BodyLimitMiddleware._check_declared = lambda self, raw: None  # type: ignore[method-assign]


ERROR_VARIANTS: dict[str, Callable[[], None]] = {
    "plain-json-errors": plain_json_errors,
    "stack-in-production": stack_in_production,
    "no-stack-in-development": no_stack_in_development,
    "framework-errors-unhandled": framework_errors_unhandled,
    "validation-as-400": validation_as_400,
    "first-error-only": first_error_only,
    "no-correlation-in-body": no_correlation_in_body,
    "no-timestamp": no_timestamp,
    "no-database-filter": no_database_filter,
    "no-retry-after-for-database": no_retry_after_for_database,
    "silent-errors": silent_errors,
    "no-stack-in-log": no_stack_in_log,
    "log-without-request": log_without_request,
    "no-degraded-header": no_degraded_header,
    "no-reporters": no_reporters,
    "unsigned-webhook": unsigned_webhook,
    "no-sentry": no_sentry,
    "crash-as-plain-text": crash_as_plain_text,
    "bad-request-without-detail": bad_request_without_detail,
    "no-body-limit": no_body_limit,
}
