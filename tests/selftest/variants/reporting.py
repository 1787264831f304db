"""Broken variants of what the demo tells about a crash: to the client (development and
production), in its log, and to the webhook and Sentry."""

from __future__ import annotations

import json
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from apiconform.common import logs
from apiconform.reference.errors import events, filters, pipeline, sentry, webhook
from apiconform.reference.errors.filters import ArgumentsHost
from apiconform.reference.errors.problem import Problem
from tests.selftest.variants.base import ERROR_LOG, ERRORS, broken, each

_render = pipeline.ExceptionPipeline.render


def emit(**fields: Any) -> None:
    """Write one JSON log line as a hand-rolled logger would, with the request's context
    (app_id, scope_id, correlation_id) first."""
    line = {**logs.add_scope_fields(None, "info", {}), **fields}
    sys.stdout.write(json.dumps(line, default=str) + "\n")
    sys.stdout.flush()


def _now(*_: Any) -> str:
    return datetime.now(UTC).isoformat()


def _render_as(environment: str) -> Any:
    """``render`` as if the app ran in ``environment``."""

    def render(self: Any, result: Any, exc: Exception, request: Request) -> Any:
        real = self.app.config
        self.app.config = real.model_copy(update={"environment": environment})
        try:
            return _render(self, result, exc, request)
        finally:
            self.app.config = real

    return render


# -- what a client sees of a crash (ERR-CTX-02, ERR-CTX-03) -------------------------------


@broken(
    ERRORS,
    {"ERR-CTX-03": "ERR-CTX-03.no-stack", "ERR-XFORM-01": "ERR-XFORM-01.no-database-text"},
)
def stack_in_production() -> None:
    """Production answers carry the stack, as development does."""
    pipeline.ExceptionPipeline.render = _render_as("development")  # type: ignore[method-assign]


def _crash_detail(detail: str) -> None:
    def catch(self: Any, exc: Exception, host: ArgumentsHost) -> Problem:
        return Problem(status=500, detail=detail or str(exc), public=True)

    filters.AllExceptionsFilter.catch = catch  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-CTX-03": "ERR-CTX-03.sanitized"})
def message_in_production() -> None:
    """Production answers a crash with the exception's message (no stack)."""
    _crash_detail("")


@broken(ERRORS, {"ERR-CTX-03": "ERR-CTX-03.no-internals"})
def file_path_in_production() -> None:
    """Production answers a crash with the file it failed in."""
    _crash_detail("The request failed in /srv/app/handlers/widgets.py.")


@broken(ERRORS, {"ERR-CTX-02": "ERR-CTX-02.stack"})
def no_stack_in_development() -> None:
    """Development answers are as terse as production's."""
    pipeline.ExceptionPipeline.render = _render_as("production")  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-CTX-02": "ERR-CTX-02.full-error"})
def development_without_message() -> None:
    """Development answers show the frames but not the error itself."""
    _crash_detail("Internal error.")
    pipeline.debug_members = lambda exc: {  # type: ignore[attr-defined]
        "stack": traceback.format_tb(exc.__traceback__)
    }


# -- the error log line (ERR-CORR-02, ERR-LOG-01, ERR-CTX-01) --------------------------------


def _log_with(**extra: Any) -> None:
    """Server errors are logged by ``emit``, with ``extra`` fields (a callable value is
    called with the exception and the request)."""

    def log(self: Any, exc: Exception, request: Request, status: int, detail: Any) -> None:
        if status < 500:
            return
        fields = {k: v(exc, request) if callable(v) else v for k, v in extra.items()}
        emit(level="error", message="request failed", **fields)

    pipeline.ExceptionPipeline.log = log  # type: ignore[method-assign]


def _stack(exc: Exception, request: Request) -> str:
    return "".join(traceback.format_exception(exc))


def _frames(exc: Exception, request: Request) -> str:
    return "".join(traceback.format_tb(exc.__traceback__))


def _text(exc: Exception, request: Request) -> str:
    return str(exc)


def _method(exc: Exception, request: Request) -> str:
    return request.method


def _path(exc: Exception, request: Request) -> str:
    return request.url.path


REQUEST = {"method": _method, "path": _path, "client_ip": "127.0.0.1", "timestamp": _now}


@broken(ERRORS, each(ERROR_LOG, "errorlog.found"))
def silent_errors() -> None:
    """Failed requests are not logged."""
    pipeline.ExceptionPipeline.log = lambda self, *args: None  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-LOG-01": "ERR-LOG-01.message"})
def log_without_message() -> None:
    """The error line holds the frames but not the error's message."""
    _log_with(stack=_frames, **REQUEST)


@broken(ERRORS, {"ERR-LOG-01": "ERR-LOG-01.stack"})
def no_stack_in_log() -> None:
    """Server errors are logged with their message but without a stack."""
    _log_with(error=_text, **REQUEST)


@broken(ERRORS, {"ERR-LOG-01": "ERR-LOG-01.context", "ERR-CTX-01": "ERR-CTX-01.method"})
def log_without_request() -> None:
    """Error lines say what failed but not which request it was."""
    _log_with(exception=_stack, timestamp=_now)


@broken(ERRORS, {"ERR-CTX-01": "ERR-CTX-01.path"})
def log_without_path() -> None:
    """Error lines without the request's path."""
    _log_with(exception=_stack, method=_method, client_ip="127.0.0.1", timestamp=_now)


@broken(ERRORS, {"ERR-CTX-01": "ERR-CTX-01.client-ip"})
def log_without_client_ip() -> None:
    """Error lines without the client's address."""
    _log_with(exception=_stack, method=_method, path=_path, timestamp=_now)


@broken(ERRORS, {"ERR-CTX-01": "ERR-CTX-01.timestamp"})
def log_without_time() -> None:
    """Error lines without a time."""
    _log_with(exception=_stack, method=_method, path=_path, client_ip="127.0.0.1")


# -- monitoring (ERR-MON-01, ERR-MON-02) ------------------------------------------------------


@broken(ERRORS, {"ERR-MON-01": "ERR-MON-01.event", "ERR-MON-02": "ERR-MON-02.delivered"})
def no_reporters() -> None:
    """Neither the webhook nor Sentry hears of server errors."""
    webhook.WebhookReporter.report = lambda self, event: None  # type: ignore[method-assign]
    sentry.SentryReporter.report = lambda self, event: None  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-MON-01": "ERR-MON-01.event"})
def no_sentry() -> None:
    """Only the webhook is told: Sentry never hears of a crash."""
    sentry.SentryReporter.report = lambda self, event: None  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-MON-01": "ERR-MON-01.breadcrumbs"})
def sentry_without_breadcrumbs() -> None:
    """Sentry events without breadcrumbs."""
    original = sentry.SentryReporter._build

    def build(self: Any, event: Any) -> Any:
        built, hint = original(self, event)
        built.pop("breadcrumbs", None)
        return built, hint

    sentry.SentryReporter._build = build  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-MON-02": "ERR-MON-02.signature"})
def unsigned_webhook() -> None:
    """The webhook goes out with a signature that does not match."""
    webhook.sign = lambda body, secret: "sha256=" + "0" * 64


def _payload_without(*names: str) -> None:
    original = events.ErrorEvent.to_payload

    def to_payload(self: Any, *, include_stack: bool = False) -> dict[str, Any]:
        payload = original(self, include_stack=include_stack)
        for name in names:
            payload.pop(name, None)
        return payload

    events.ErrorEvent.to_payload = to_payload  # type: ignore[method-assign]


@broken(ERRORS, {"ERR-MON-02": "ERR-MON-02.severity"})
def webhook_without_severity() -> None:
    """The webhook does not say how severe the error is."""
    _payload_without("severity")


@broken(ERRORS, {"ERR-MON-02": "ERR-MON-02.details"})
def webhook_without_details() -> None:
    """The webhook does not give the error's status."""
    _payload_without("status", "problem")
