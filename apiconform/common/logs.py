"""Structured logging: JSON lines (or a console view) tagged with the current scope.

Every line carries ``timestamp`` (ISO 8601, UTC), ``level``, ``message``, ``logger``,
``app_id``, ``scope_id`` and ``correlation_id`` plus any bound fields. The scope fields come
from structlog's context variables, so lines written by tasks a request spawned carry that
request's ids. Standard-library records (uvicorn's, say) go through the same pipeline.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import structlog
import structlog.tracebacks
from structlog.typing import EventDict, Processor, WrappedLogger

from apiconform.errors import ConfigError

LogFormat = Literal["json", "console"]

# Keys whose values are never written, whatever logs them.
SECRET_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "password",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "x-api-key",
    }
)
REDACTED = "[redacted]"


SCOPE_FIELDS = ("app_id", "scope_id", "correlation_id")


def add_scope_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Every line has ``app_id``, ``scope_id`` and ``correlation_id``: bound to the logger,
    bound to the context (the reference kernel binds them per application and request with
    :func:`structlog.contextvars.bound_contextvars`), or null."""
    for key in SCOPE_FIELDS:
        event.setdefault(key, None)
    return event


def redact_secrets(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Mask values under secret-looking keys, also inside nested mappings."""
    _redact(event)
    return event


def _redact(mapping: MutableMapping[str, Any]) -> None:
    for key, value in mapping.items():
        if key.lower() in SECRET_KEYS and value is not None:
            mapping[key] = REDACTED
        elif isinstance(value, MutableMapping):
            _redact(value)


_FIRST_KEYS = ("timestamp", "level", "message", "logger", "app_id", "scope_id", "correlation_id")


def order_keys(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Put the common fields first, so lines read alike whatever was bound."""
    ordered = {key: event.pop(key) for key in _FIRST_KEYS if key in event}
    ordered.update(event)
    return ordered


# Loggers of libraries that print URLs (query strings may hold codes or tokens) at INFO.
QUIET_LOGGERS = ("httpx", "httpcore")


class _Output:
    """The stream all lines go to; swappable, so loggers cached at import see a new one.

    ``None`` means "``sys.stdout`` at write time" (which test runners replace per test).
    """

    def __init__(self) -> None:
        self.target: TextIO | None = None

    def write(self, text: str) -> int:
        return (self.target or sys.stdout).write(text)

    def flush(self) -> None:
        (self.target or sys.stdout).flush()


_OUTPUT = _Output()
# One list object for the life of the process: reconfiguring replaces its contents, so
# loggers that structlog cached keep seeing the current pipeline.
_PROCESSORS: list[Processor] = []
_LEVEL = [logging.INFO]


def _drop_below_level(_: WrappedLogger, method: str, event: EventDict) -> EventDict:
    if _LEVELS.get(method, logging.INFO) < _LEVEL[0]:
        raise structlog.DropEvent
    return event


_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}


def _logger_field(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    name = event.pop("logger_name", None)
    if name is not None:
        event["logger"] = name
    return event


def _pre_chain() -> list[Processor]:
    return [
        _logger_field,
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        add_scope_fields,
        redact_secrets,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        structlog.processors.StackInfoRenderer(),
    ]


# Tracebacks as data, without the frames' local variables: a local may hold a token, a
# password or a request body, and key-based redaction cannot see inside a traceback.
_STRUCTURED_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


def _renderers(fmt: LogFormat) -> list[Processor]:
    if fmt == "console":
        return [structlog.dev.ConsoleRenderer(colors=False)]
    return [
        _STRUCTURED_TRACEBACKS,
        structlog.processors.EventRenamer("message"),
        order_keys,
        structlog.processors.JSONRenderer(),
    ]


class LoggingSetup:
    """What :func:`configure_logging` installed; :meth:`restore` puts the previous back."""

    def __init__(self, handler: logging.Handler, previous: tuple[Any, ...]) -> None:
        self.handler = handler
        self._previous = previous

    def restore(self) -> None:
        target, processors, level, root_handlers, root_level = self._previous
        _OUTPUT.target = target
        _PROCESSORS[:] = processors
        _LEVEL[0] = level
        root = logging.getLogger()
        root.handlers[:] = root_handlers
        root.setLevel(root_level)


def configure_logging(
    fmt: LogFormat | None = None,
    *,
    stream: TextIO | None = None,
    level: str | int | None = None,
) -> LoggingSetup:
    """Send structured and standard-library logging to ``stream`` (stdout by default).

    ``fmt`` defaults to ``APICONFORM_LOG_FORMAT`` (``json`` unless set to ``console``) and
    ``level`` to ``APICONFORM_LOG_LEVEL`` (``info``). Structured events take structlog's
    direct path (no ``LogRecord``); records of other libraries (uvicorn's, say) go through a
    root handler with the same processors.
    """
    root = logging.getLogger()
    previous = (_OUTPUT.target, list(_PROCESSORS), _LEVEL[0], list(root.handlers), root.level)
    chosen: LogFormat = fmt or (
        "console" if os.environ.get("APICONFORM_LOG_FORMAT") == "console" else "json"
    )
    raw_level = level or os.environ.get("APICONFORM_LOG_LEVEL", "INFO")
    level_no = raw_level if isinstance(raw_level, int) else logging.getLevelName(raw_level.upper())
    if not isinstance(level_no, int):
        raise ConfigError(
            f"unknown log level {raw_level!r}: use debug, info, warning, error or critical"
        )
    _OUTPUT.target = stream
    _LEVEL[0] = level_no
    _PROCESSORS[:] = _pipeline(chosen)
    handler = logging.StreamHandler(_OUTPUT)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *_pre_chain()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_renderers(chosen),
            ],
        )
    )
    for old in [h for h in root.handlers if getattr(h, "_apiconform", False)]:
        root.removeHandler(old)
    handler._apiconform = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level_no)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return LoggingSetup(handler, previous)


def _pipeline(fmt: LogFormat) -> list[Processor]:
    return [_drop_below_level, *_pre_chain(), *_renderers(fmt)]


_PROCESSORS[:] = _pipeline("json")  # JSON at INFO on stdout until configured otherwise
_WRITER = structlog.WriteLogger(_OUTPUT)  # type: ignore[arg-type]
_Wrapper = structlog.make_filtering_bound_logger(logging.DEBUG)  # levels: _drop_below_level


def get_logger(name: str, **bound: Any) -> Any:
    """A structured logger named ``name`` (the ``logger`` field) with optional bound fields.

    Independent of structlog's global configuration (an embedding application keeps its
    own) and cheap to keep at module level: it follows later :func:`configure_logging`.
    """
    return structlog.wrap_logger(
        _WRITER,
        processors=_PROCESSORS,
        wrapper_class=_Wrapper,
        cache_logger_on_first_use=True,
        logger_name=name,  # "logger" itself is wrap_logger's first parameter
        **bound,
    )
