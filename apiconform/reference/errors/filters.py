"""Exception filters: ``@catch`` declares what a filter handles; the built-ins turn every
exception into a problem.

A filter is any object with ``catch(exc, host)`` returning a :class:`Problem`, a Starlette
``Response``, or None to decline (the next matching filter then gets the exception).
Filters apply route first, then controller, then global; the built-ins come last.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, TypeVar, runtime_checkable

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from apiconform.errors import ApiconformError
from apiconform.reference.errors.exceptions import (
    PROBLEM_BASE,
    FieldError,
    HttpException,
)
from apiconform.reference.errors.problem import Problem

T = TypeVar("T")
FilterResult = Problem | Response | None

_CATCH_ATTR = "__apiconform_catch__"
_FILTERS_ATTR = "__apiconform_filters__"


class HostError(ApiconformError):
    """A filter asked for a context this exception did not come from."""


@runtime_checkable
class ExceptionFilter(Protocol):
    """``catch`` gets the exception and an :class:`ArgumentsHost`."""

    def catch(
        self, exc: Exception, host: ArgumentsHost
    ) -> FilterResult | Awaitable[FilterResult]: ...


def catch(*exception_types: type[BaseException]) -> Callable[[type[T]], type[T]]:
    """Declare the exception types a filter class handles; no argument means all."""

    def mark(cls: type[T]) -> type[T]:
        setattr(cls, _CATCH_ATTR, tuple(exception_types))
        return cls

    return mark


def caught_types(filter_: object) -> tuple[type[BaseException], ...]:
    """What a filter handles; a filter without ``@catch`` handles everything."""
    return tuple(getattr(filter_, _CATCH_ATTR, ()))


def handles(filter_: object, exc: BaseException) -> bool:
    types = caught_types(filter_)
    return not types or isinstance(exc, types)


def use_filters(*filters: object) -> Callable[[T], T]:
    """Attach filters (classes or instances) to a controller class or a route method."""

    def mark(target: T) -> T:
        existing = list(getattr(target, _FILTERS_ATTR, ()))
        setattr(target, _FILTERS_ATTR, (*existing, *filters))
        return target

    return mark


def attached_filters(target: object) -> tuple[object, ...]:
    return tuple(getattr(target, _FILTERS_ATTR, ()))


@dataclass
class ResponseDraft:
    """What a filter may change on the response it does not build itself: headers, and
    (if set) the status code."""

    headers: dict[str, str] = field(default_factory=dict)
    status_code: int | None = None


class HttpArgumentsHost:
    def __init__(self, request: Request, response: ResponseDraft) -> None:
        self._request = request
        self._response = response

    def get_request(self) -> Request:
        return self._request

    def get_response(self) -> ResponseDraft:
        return self._response


class ArgumentsHost:
    """The context an exception came from (the spec's ArgumentsHost). The reference serves
    HTTP only, so ``switch_to_rpc`` raises :class:`HostError`."""

    def __init__(self, request: Request, response: ResponseDraft | None = None) -> None:
        self._args = (request, response or ResponseDraft())

    def get_type(self) -> str:
        return "http"

    def get_args(self) -> tuple[Request, ResponseDraft]:
        return self._args

    def get_arg_by_index(self, index: int) -> Any:
        return self._args[index]

    def switch_to_http(self) -> HttpArgumentsHost:
        return HttpArgumentsHost(*self._args)

    def switch_to_rpc(self) -> Any:
        raise HostError("this exception came from an HTTP request; there is no RPC context")


# -- built-in filters --------------------------------------------------------------------


@catch(HttpException, StarletteHTTPException)
class HttpExceptionFilter:
    """The apiconform HTTP exceptions, and Starlette's (unknown route 404, wrong method 405
    with ``Allow``, the body-limit 413)."""

    SLUGS = {409: "conflict", 413: "payload-too-large", 415: "unsupported-media-type"}

    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem:
        if isinstance(exc, HttpException):
            return Problem(
                status=exc.status,
                title=exc.title,
                detail=exc.detail,
                type=exc.type,
                extensions=dict(exc.extensions),
                headers=dict(exc.headers),
            )
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        slug = self.SLUGS.get(exc.status_code)
        scope = host.switch_to_http().get_request().scope
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route matches {scope.get('method')} {scope.get('path')}"
        elif exc.status_code == 405:
            detail = f"{scope.get('method')} is not allowed here; see the Allow header"
        return Problem(
            status=exc.status_code,
            detail=detail,
            type=f"{PROBLEM_BASE}{slug}" if slug else "about:blank",
            headers=dict(exc.headers or {}),
        )


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """pydantic/FastAPI error dicts as field errors with dotted paths (``address.zip``);
    body fields drop the ``body`` prefix, other locations keep theirs (``query.limit``)."""
    found = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] == "body":
            loc = loc[1:]
        message = str(error.get("msg", "invalid"))
        found.append(
            FieldError(
                field=".".join(loc) or "body",
                message=message,
                constraints={str(error.get("type", "invalid")): message},
            )
        )
    return found


@catch(RequestValidationError)
class ValidationExceptionFilter:
    """Request validation: malformed JSON is 400; input that fails validation is 422 with
    every failed field."""

    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        malformed = [e for e in errors if e.get("type") == "json_invalid"]
        if malformed:
            reason = (malformed[0].get("ctx") or {}).get("error", "malformed JSON")
            return Problem(
                status=400,
                detail=f"The request body is not valid JSON: {reason}",
                type=f"{PROBLEM_BASE}malformed-json",
            )
        fields = field_errors(errors)
        return Problem(
            status=422,
            title="Validation Failed",
            detail=f"{len(fields)} field(s) failed validation",
            type=f"{PROBLEM_BASE}validation",
            extensions={"errors": [f.to_dict() for f in fields]},
        )


DATABASE_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "psycopg", "sqlite3")
RETRY_AFTER_DB = 5


def _database_error_types() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import DBAPIError, DisconnectionError

    return (DBAPIError, DisconnectionError, OSError)


def from_database(exc: BaseException) -> bool:
    """Whether ``exc`` was raised inside a database driver or SQLAlchemy."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in DATABASE_MODULES:
            return True
        tb = tb.tb_next
    return type(exc).__module__.split(".", 1)[0] in DATABASE_MODULES


UNIQUE_SQLSTATE = "23505"


def unique_violation(exc: BaseException) -> bool:
    """Whether an IntegrityError is a unique-constraint violation (PostgreSQL SQLSTATE
    23505, SQLite's "UNIQUE constraint failed")."""
    orig = getattr(exc, "orig", None) or exc
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code == UNIQUE_SQLSTATE:
            return True
    return "UNIQUE constraint failed" in str(orig)


@catch(*_database_error_types())
class DatabaseExceptionFilter:
    """Database errors: a unique violation is 409 in plain words; a lost or refused
    connection is 503 with ``Retry-After``. Other database errors, other integrity errors
    included, decline (-> 500)."""

    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem | None:
        from sqlalchemy.exc import (
            DisconnectionError,
            IntegrityError,
            InterfaceError,
            OperationalError,
        )

        if isinstance(exc, IntegrityError):
            if not unique_violation(exc):
                return None  # NOT NULL, foreign key, CHECK: a bug here, not a conflict
            return Problem(
                status=409,
                detail="The request conflicts with an existing resource: a value that must "
                "be unique is already taken.",
                type=f"{PROBLEM_BASE}conflict",
            )
        unavailable = isinstance(exc, OperationalError | InterfaceError | DisconnectionError)
        if unavailable or (isinstance(exc, OSError) and from_database(exc)):
            return Problem(
                status=503,
                detail=f"The database is unavailable. Retry in {RETRY_AFTER_DB} seconds.",
                type=f"{PROBLEM_BASE}service-unavailable",
                headers={"Retry-After": str(RETRY_AFTER_DB)},
                public=True,
            )
        return None


@catch()
class AllExceptionsFilter:
    """Everything else: 500. Production replaces the detail with a generic sentence."""

    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem:
        return Problem(status=500, detail=str(exc) or type(exc).__name__)


BUILTIN_FILTERS: tuple[object, ...] = (
    HttpExceptionFilter(),
    ValidationExceptionFilter(),
    DatabaseExceptionFilter(),
    AllExceptionsFilter(),
)


async def run_filter(filter_: object, exc: Exception, host: ArgumentsHost) -> FilterResult:
    result = filter_.catch(exc, host)  # type: ignore[attr-defined]
    if inspect.isawaitable(result):
        result = await result
    if result is not None and not isinstance(result, Problem | Response):
        raise TypeError(
            f"{type(filter_).__name__}.catch returned {type(result).__name__}; "
            "return a Problem, a Response or None"
        )
    return result
