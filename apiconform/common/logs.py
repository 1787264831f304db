"""Structured logging: JSON lines (or a console view) tagged with the current scope.

Every line carries ``timestamp`` (ISO 8601, UTC), ``level``, ``message``, ``logger``,
``app_id``, ``scope_id`` and ``correlation_id`` plus any bound fields. The scope fields come
from context variables (:func:`set_log_scope`, :func:`set_correlation_id`), so lines
written by tasks a request spawned carry that request's ids. Standard-library records
(uvicorn's, say) go through the same pipeline.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextvars import ContextVar, Token
from typing import Any, Literal, TextIO

import orjson
import structlog
import structlog.tracebacks
from structlog.typing import EventDict, Processor, WrappedLogger

from apiconform.common import redaction
from apiconform.errors import ConfigError

LogFormat = Literal["json", "console"]

REDACTED = redaction.REDACTED

SCOPE_FIELDS = ("app_id", "scope_id", "correlation_id")
_FIRST_KEYS = ("timestamp", "level", "message", "logger", *SCOPE_FIELDS)

# The scope a line is written in. The reference kernel sets these per application and per
# request (set_log_scope, set_correlation_id); context variables are copied into every
# task created under them, so lines of tasks a request spawned carry its ids.
_LOG_SCOPE: ContextVar[tuple[str | None, str | None]] = ContextVar(
    "apiconform_log_scope", default=(None, None)
)
_LOG_CORRELATION: ContextVar[str | None] = ContextVar("apiconform_log_correlation", default=None)


def set_log_scope(app_id: str | None, scope_id: str | None) -> Token[tuple[str | None, str | None]]:
    """Tag the lines written in this context (and the tasks it creates); reset with
    :func:`reset_log_scope`."""
    return _LOG_SCOPE.set((app_id, scope_id))


def reset_log_scope(token: Token[tuple[str | None, str | None]]) -> None:
    _LOG_SCOPE.reset(token)


def set_correlation_id(correlation_id: str | None) -> Token[str | None]:
    return _LOG_CORRELATION.set(correlation_id)


def reset_correlation_id(token: Token[str | None]) -> None:
    _LOG_CORRELATION.reset(token)


def add_scope_fields(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Every line has ``app_id``, ``scope_id`` and ``correlation_id``: bound to the logger,
    else from the context (:func:`set_log_scope`), else null."""
    app_id, scope_id = _LOG_SCOPE.get()
    event.setdefault("app_id", app_id)
    event.setdefault("scope_id", scope_id)
    event.setdefault("correlation_id", _LOG_CORRELATION.get())
    return event


def merge_contextvars(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Fields bound with :func:`structlog.contextvars.bind_contextvars`, read from the
    variables structlog created (not by copying the whole context for every line)."""
    for var in _STRUCTLOG_VARS.values():
        value = var.get()
        if value is not Ellipsis:
            event.setdefault(var.name[_STRUCTLOG_PREFIX_LEN:], value)
    return event


def _structlog_vars() -> dict[str, ContextVar[Any]]:
    """The context variables structlog keeps for bound fields (a private name of its own:
    an empty dict if a structlog release moves it, so no bound field is lost silently
    only then — the test suite binds one and checks it)."""
    found: object = getattr(structlog.contextvars, "_CONTEXT_VARS", None)
    return found if isinstance(found, dict) else {}


_STRUCTLOG_VARS = _structlog_vars()
_STRUCTLOG_PREFIX_LEN = len(getattr(structlog.contextvars, "STRUCTLOG_KEY_PREFIX", "structlog_"))


def redact_secrets(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Mask credentials: values under secret-looking keys (also inside nested mappings)
    and credentials inside text values (:mod:`apiconform.common.redaction`). Runs after
    the exception is rendered, so a stack or an exception message is covered too."""
    redaction.redact_mapping(event)
    return event


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
_LEVEL_NAMES = {"warn": "warning", "exception": "error"}


def _logger_field(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    name = event.pop("logger_name", None)
    if name is not None:
        event["logger"] = name
    return event


def _pre_chain() -> list[Processor]:
    return [_logger_field, merge_contextvars, add_scope_fields]


# Tracebacks as data, without the frames' local variables: a local may hold a token, a
# password or a request body, and key-based redaction cannot see inside a traceback.
_STRUCTURED_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


class _Clock:
    """ISO 8601 UTC timestamps with microseconds (``2026-11-25T21:04:59.156775Z``), the
    date-and-time part formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now - second) * 1_000_000):06d}Z"


_now = _Clock()


def _render_json(_: WrappedLogger, method: str, event: EventDict) -> str:
    """The JSON line, in one step: level, timestamp, ``message``, the common fields first,
    credentials masked (the rendered exception included)."""
    line: dict[str, Any] = {
        "timestamp": event.pop("timestamp", None) or _now(),
        "level": event.pop("level", None) or _LEVEL_NAMES.get(method, method),
        "message": event.pop("event", None),
        "logger": event.pop("logger", None),
        "app_id": event.pop("app_id", None),
        "scope_id": event.pop("scope_id", None),
        "correlation_id": event.pop("correlation_id", None),
    }
    line.update(event)
    _redact_line(line)
    try:
        return orjson.dumps(line, default=repr, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, say: the slow path
        return _JSON.encode(line)


# orjson: a JSON line in about 0.3 us where the standard library's encoder takes 3.6 us
_JSON = json.JSONEncoder(default=repr, ensure_ascii=False)

# Fields whose text the pipeline or the kernel makes itself (validated ids, timestamps,
# route templates, resolved addresses): not scanned as free text.
_PLAIN_FIELDS = frozenset(
    {
        "timestamp",
        "level",
        "logger",
        "app_id",
        "scope_id",
        "correlation_id",
        "route",
        "client_ip",
        "method",
        "status",
        "duration_ms",
        "error",
        "user_id",
    }
)
_PLAIN, _SECRET, _TEXT = 0, 1, 2
_KINDS: dict[str, int] = {}  # field name -> what redaction does with it, decided once


def _kind(key: str) -> int:
    kind = _KINDS.get(key)
    if kind is None:
        kind = (
            _SECRET if redaction.is_secret_name(key) else _PLAIN if key in _PLAIN_FIELDS else _TEXT
        )
        if len(_KINDS) < 4096:
            _KINDS[key] = kind
    return kind


_PLANS: dict[tuple[Any, ...], tuple[tuple[Any, ...], tuple[Any, ...]]] = {}


def _plan(keys: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """For a line with these keys (in this order): its secret fields and its free-text
    fields. Lines from one call site share their keys, so plans are cached."""
    plan = _PLANS.get(keys)
    if plan is None:
        kinds = [(key, _kind(key) if type(key) is str else _TEXT) for key in keys]
        plan = (
            tuple(key for key, kind in kinds if kind == _SECRET),
            tuple(key for key, kind in kinds if kind == _TEXT),
        )
        if len(_PLANS) < 1024:
            _PLANS[keys] = plan
    return plan


def _redact_line(line: dict[str, Any]) -> None:
    """:func:`redaction.redact_mapping` for a log line: secret fields masked, text fields
    scanned (all at once first, as most lines hold nothing to mask), nested values
    walked; what each field is gets decided once per set of keys."""
    secrets, texts = _plan(tuple(line))
    for key in secrets:
        if line[key] is not None:
            line[key] = REDACTED
    strings = []
    for key in texts:
        value = line[key]
        if type(value) is str:
            strings.append(key)
        elif isinstance(value, dict | list | str):
            holder = {key: value}
            redaction.redact_mapping(holder)
            line[key] = holder[key]
    if not strings:
        return
    joined = line[strings[0]] if len(strings) == 1 else "\n".join(line[k] for k in strings)
    if redaction.may_hold_credentials(joined):
        for key in strings:
            line[key] = redaction.redact_text(line[key])


def emit(logger: str, level: str, message: str, fields: dict[str, Any]) -> None:
    """Write one line without a structlog logger: for the lines written on every request
    (the access line), where structlog's own dispatch would be most of the cost. The line
    is the same as ``get_logger(logger).<level>(message, **fields)`` would write."""
    if _LEVELS.get(level, logging.INFO) < _LEVEL[0]:
        return
    if _FORMAT[0] != "json":
        getattr(get_logger(logger), level)(message, **fields)
        return
    event: dict[str, Any] = {"event": message, "logger": logger, **fields}
    merge_contextvars(None, level, event)
    add_scope_fields(None, level, event)
    _OUTPUT.write(_render_json(None, level, event) + "\n")
    _OUTPUT.flush()


_FORMAT: list[LogFormat] = ["json"]


def _renderers(fmt: LogFormat) -> list[Processor]:
    if fmt == "console":
        return [
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            redact_secrets,
            structlog.dev.ConsoleRenderer(colors=False),
        ]
    return [structlog.processors.StackInfoRenderer(), _STRUCTURED_TRACEBACKS, _render_json]


class LoggingSetup:
    """What :func:`configure_logging` installed; :meth:`restore` puts the previous back."""

    def __init__(self, handler: logging.Handler, previous: tuple[Any, ...]) -> None:
        self.handler = handler
        self._previous = previous

    def restore(self) -> None:
        target, processors, level, root_handlers, root_level, fmt = self._previous
        _OUTPUT.target = target
        _FORMAT[0] = fmt
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
    previous = (
        _OUTPUT.target,
        list(_PROCESSORS),
        _LEVEL[0],
        list(root.handlers),
        root.level,
        _FORMAT[0],
    )
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
    _FORMAT[0] = chosen
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
