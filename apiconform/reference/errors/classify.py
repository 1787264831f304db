"""Classifying errors: which are transient (worth a retry), which count as a dependency
failing, and how to describe an error in a log line without leaking credentials."""

from __future__ import annotations

import errno
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from apiconform.common.redaction import redact_text
from apiconform.reference.errors.exceptions import HttpException

_TRANSIENT_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.ETIMEDOUT,
        errno.EPIPE,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ENETRESET,
    }
)
# PostgreSQL SQLSTATEs (asyncpg ``sqlstate``, psycopg ``pgcode``): class 08 is "connection
# exception"; the rest are deadlock, serialization, lock/statement timeouts, too many
# connections and a server shutting down or starting up.
_TRANSIENT_SQLSTATES = frozenset(
    {"40001", "40P01", "55P03", "57014", "53300", "57P01", "57P02", "57P03"}
)
_SQLITE_TRANSIENT = ("SQLITE_BUSY", "SQLITE_LOCKED")


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure that may pass if the same call is made again.

    Transient: lost or refused connections (``ConnectionError``, an ``OSError`` with a
    connection errno, httpx network/timeout errors), timeouts, deadlocks and serialization
    failures (SQLSTATE 40P01/40001, via asyncpg, psycopg or SQLAlchemy), SQLAlchemy
    ``OperationalError``/``InterfaceError``/``DisconnectionError`` and any ``DBAPIError``
    that invalidated its connection. Never transient: HTTP exceptions (an answer already
    decided), ``IntegrityError``, validation errors, and anything not listed.
    """
    if isinstance(exc, HttpException):
        return False
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        return False  # our own request is wrong: sending it again fails the same way
    if isinstance(exc, (ConnectionError, TimeoutError, httpx.TransportError)):
        return True
    verdict = _driver_verdict(exc)
    if verdict is not None:
        return verdict
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")  # imported already if it raised this
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
        return _sqlalchemy_transient(exc, sqlalchemy_exc)
    if isinstance(exc, socket.gaierror):
        return exc.errno == socket.EAI_AGAIN  # a name server that did not answer in time
    return isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS


def _driver_verdict(exc: BaseException) -> bool | None:
    """Read the database driver's own error code, when the error carries one."""
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(code, str) and len(code) == 5:
        return code.startswith("08") or code in _TRANSIENT_SQLSTATES
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(name, str):
        return name.startswith(_SQLITE_TRANSIENT)
    return None


def _sqlalchemy_transient(exc: BaseException, sa: Any) -> bool:
    if isinstance(exc, sa.IntegrityError):
        return False
    if isinstance(exc, sa.DisconnectionError):
        return True
    if isinstance(exc, sa.DBAPIError):
        if exc.connection_invalidated:
            return True
        verdict = _driver_verdict(exc.orig) if exc.orig is not None else None
        if verdict is not None:
            return verdict  # e.g. an OperationalError for a missing table is not transient
        if exc.orig is not None and is_transient(exc.orig):
            return True
        return isinstance(exc, (sa.OperationalError, sa.InterfaceError))
    return False


def is_failure(exc: BaseException) -> bool:
    """The breaker's default: a transient error, or a 5xx (an HTTP exception or an httpx
    status error). A 4xx is an answer from a working dependency, not a failure."""
    if isinstance(exc, HttpException):
        return exc.status >= 500
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return is_transient(exc)


MAX_ERROR_TEXT = 300


def error_summary(exc: BaseException) -> str:
    """``Type: message``, secrets masked and cut to a readable length."""
    message = redact_text(str(exc))
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 3] + "..."


class OncePerInterval:
    """Lets one occurrence through per ``interval`` seconds and counts the rest.

    :meth:`ready` returns how many were held back since the last one let through (so the
    next log line can say ``suppressed=n``), or ``None`` while the interval runs. Not
    thread-safe: use it from one event loop.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next: float | None = None
        self._held = 0

    def ready(self) -> int | None:
        now = self._clock()
        if self._next is not None and now < self._next:
            self._held += 1
            return None
        held, self._held = self._held, 0
        self._next = now + self._interval
        return held
