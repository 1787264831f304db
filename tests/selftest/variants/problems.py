"""Broken variants of the demo's problem responses, exceptions and correlation ids."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse

from apiconform.reference.errors import filters, pipeline, problem
from apiconform.reference.errors.filters import ArgumentsHost
from apiconform.reference.kernel import middleware as kernel_middleware
from tests.selftest.variants.base import (
    ERROR_LOG,
    ERRORS,
    RENDERED,
    UNSTAMPED,
    Variant,
    broken,
    each,
    register,
)
from tests.selftest.variants.scopes import set_correlation_header

Body = dict[str, Any]


def edit_bodies(edit: Callable[[Body], Any]) -> None:
    """Every problem body goes out as ``edit`` changes it (or as the list it returns)."""
    original = problem.Problem.body

    def body(self: Any) -> Any:
        data = original(self)
        changed = edit(data)
        return changed if isinstance(changed, list) else data

    problem.Problem.body = body  # type: ignore[method-assign]


def edit_results(filter_class: type[Any], edit: Callable[[Any, Exception], Any]) -> None:
    """``filter_class`` answers what ``edit`` makes of its result."""
    original = filter_class.catch

    def catch(self: Any, exc: Exception, host: ArgumentsHost) -> Any:
        return edit(original(self, exc, host), exc)

    filter_class.catch = catch


def edit_finished(edit: Callable[[Any], None]) -> None:
    """Every problem is finished (instance, correlationId, timestamp), then ``edit``ed."""
    original = problem.finish

    def finish(p: Any, *, path: str, correlation_id: str | None = None) -> Any:
        done = original(p, path=path, correlation_id=correlation_id)
        edit(done)
        return done

    pipeline.finish = finish


# -- the shape of every problem (ERR-PD-01 and every check that reads a problem) ---------


@broken(ERRORS, each(RENDERED, "problem.media-type"))
def plain_json_errors() -> None:
    """Problems sent as application/json."""
    problem.ProblemResponse.media_type = "application/json"
    original = problem.ProblemResponse.__init__

    def init(self: Any, p: Any, extra_headers: Any = None) -> None:
        original(self, p, extra_headers)
        self.headers["content-type"] = "application/json"

    problem.ProblemResponse.__init__ = init  # type: ignore[method-assign]


SHAPES: dict[str, tuple[str, Callable[[Body], Any], dict[str, str]]] = {
    # (the webhook, sending the problem it got, cannot send a list: no delivery either)
    "problem-not-an-object": (
        "problem.object",
        lambda b: [b],
        {**UNSTAMPED, "ERR-MON-02": "ERR-MON-02.delivered"},
    ),
    "problem-without-instance": ("problem.members", lambda b: b.pop("instance"), {}),
    "problem-type-null": ("problem.type", lambda b: b.update(type=None), UNSTAMPED),
    "problem-title-number": ("problem.title", lambda b: b.update(title=7), {}),
    "problem-status-as-text": (
        "problem.status-member",
        lambda b: b.update(status=str(b["status"])),
        {},
    ),
    "problem-detail-object": (
        "problem.detail",
        lambda b: b.update(detail={"text": "x"}),
        {"ERR-XFORM-01": "ERR-XFORM-01.message"},
    ),
    "problem-instance-elsewhere": (
        "problem.instance",
        lambda b: b.update(instance="/elsewhere"),
        {},
    ),
}


def _shape_variant(
    name: str, assertion: str, edit: Callable[[Body], Any], also: dict[str, str]
) -> None:
    def apply() -> None:
        edit_bodies(edit)

    apply.__doc__ = f"Every problem body broken: {name.removeprefix('problem-')}."
    register(Variant(name, (ERRORS,), apply, {**each(RENDERED, assertion), **also}))


for _name, (_assertion, _edit, _also) in SHAPES.items():
    _shape_variant(_name, _assertion, _edit, _also)


@broken(ERRORS, {"ERR-PD-01": "ERR-PD-01.trigger-status"})
def unauthorized_as_500() -> None:
    """The unauthorized trigger is answered 500."""

    def edit(result: Any, exc: Exception) -> Any:
        if getattr(result, "status", None) == 401:
            result.status = 500
        return result

    edit_results(filters.HttpExceptionFilter, edit)


@broken(ERRORS, {"ERR-PD-01": "problem.media-type", "ERR-EXC-01": "problem.media-type"})
def framework_errors_unhandled() -> None:
    """Unknown routes and wrong methods get the framework's own plain answers."""

    def edit(result: Any, exc: Exception) -> Any:
        if isinstance(exc, StarletteHTTPException):
            return PlainTextResponse(str(exc.detail), exc.status_code, headers=exc.headers)
        return result

    edit_results(filters.HttpExceptionFilter, edit)


# -- built-in exceptions ------------------------------------------------------------------


@broken(ERRORS, each(("ERR-EXC-03", "ERR-VAL-01"), "problem.status-code"))
def validation_as_400() -> None:
    """Failed validation answered 400 instead of 422."""

    def edit(result: Any, exc: Exception) -> Any:
        if result.status == 422:
            result.status = 400
        return result

    edit_results(filters.ValidationExceptionFilter, edit)


@broken(ERRORS, each(("ERR-EXC-03", "ERR-VAL-01"), "ERR-EXC-03.errors-list"))
def no_errors_list() -> None:
    """Validation problems without their list of field errors."""
    edit_results(filters.ValidationExceptionFilter, _drop_errors)


def _drop_errors(result: Any, exc: Exception) -> Any:
    result.extensions.pop("errors", None)
    return result


def _edit_items(edit: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    def items(result: Any, exc: Exception) -> Any:
        if "errors" in result.extensions:
            result.extensions["errors"] = [edit(dict(i)) for i in result.extensions["errors"]]
        return result

    edit_results(filters.ValidationExceptionFilter, items)


@broken(ERRORS, each(("ERR-EXC-03", "ERR-VAL-01"), "ERR-EXC-03.item-field"))
def errors_without_field() -> None:
    """Field errors that do not say which field."""
    _edit_items(lambda item: {"name": item.pop("field"), **item})


@broken(ERRORS, each(("ERR-EXC-03", "ERR-VAL-01"), "ERR-EXC-03.item-says-why"))
def errors_without_message() -> None:
    """Field errors that name the field only."""
    _edit_items(lambda item: {"field": item["field"]})


@broken(ERRORS, each(("ERR-EXC-03", "ERR-VAL-01"), "ERR-VAL-01.all-fields"))
def first_error_only() -> None:
    """Only the first failed field is reported."""

    def first(result: Any, exc: Exception) -> Any:
        if "errors" in result.extensions:
            result.extensions["errors"] = result.extensions["errors"][:1]
        return result

    edit_results(filters.ValidationExceptionFilter, first)


def _says_nothing(result: Any, exc: Exception) -> Any:
    if getattr(result, "status", None) == 400:
        result.detail = "Bad Request"
    return result


@broken(ERRORS, {"ERR-EXC-02": "ERR-EXC-02.says-why"})
def bad_request_says_nothing() -> None:
    """A handler's 400 whose detail repeats the status phrase."""
    edit_results(filters.HttpExceptionFilter, _says_nothing)


@broken(ERRORS, {"ERR-EXC-02": "ERR-EXC-02.says-why-malformed"})
def malformed_json_says_nothing() -> None:
    """A malformed body's 400 whose detail repeats the status phrase."""
    edit_results(filters.ValidationExceptionFilter, _says_nothing)


@broken(ERRORS, {"ERR-FILTER-01": "problem.media-type", "ERR-CTX-02": "ERR-CTX-02.stack"})
def crash_as_plain_text() -> None:
    """Unhandled exceptions answered with a plain-text 500."""
    filters.AllExceptionsFilter.catch = (  # type: ignore[method-assign]
        lambda self, exc, host: PlainTextResponse("Internal Server Error", 500)
    )


@broken(ERRORS, {"ERR-XFORM-01": "ERR-XFORM-01.message", "ERR-PD-01": "problem.members"})
def conflict_without_message() -> None:
    """A 409 that says nothing: no detail, no title."""

    def edit(body: Body) -> None:
        if body.get("status") == 409:
            body.pop("detail", None)
            body.pop("title", None)

    edit_bodies(edit)


# -- extension members (ERR-PD-02) -----------------------------------------------------------


@broken(ERRORS, {"ERR-PD-02": "ERR-PD-02.timestamp"})
def timestamp_in_words() -> None:
    """Problems whose timestamp is not a time."""
    edit_finished(lambda p: p.extensions.update(timestamp="just now"))


@broken(ERRORS, {"ERR-PD-02": "ERR-PD-02.top-level"})
def nested_extensions() -> None:
    """Extension members nested under an ``extensions`` member."""

    def edit(body: Body) -> None:
        moved = {k: body.pop(k) for k in ("correlationId", "timestamp") if k in body}
        body["extensions"] = moved

    edit_bodies(edit)


# -- correlation ids (ERR-CORR-01, and everything that finds a request by its id) ----------


@broken(
    ERRORS,
    {"ERR-CORR-01": "ERR-CORR-01.consistent", "ERR-PD-02": "ERR-PD-02.correlation-id"},
)
def correlation_mismatch() -> None:
    """The problem's correlationId differs from the header's."""
    edit_finished(lambda p: p.extensions.update(correlationId=uuid.uuid4().hex))


@broken(ERRORS, {"ERR-CORR-01": "ERR-CORR-01.returned"})
def no_correlation_returned() -> None:
    """Neither a header nor the problem returns a correlation id."""
    set_correlation_header("x-trace-token")
    edit_finished(lambda p: p.extensions.pop("correlationId", None))


@broken(
    ERRORS,
    {
        "ERR-CORR-01": "ERR-CORR-01.reused",
        **each(ERROR_LOG, "errorlog.found"),
        "ERR-MON-02": "ERR-MON-02.delivered",
        "ERR-MON-01": "ERR-MON-01.tagged",
        "ERR-RECOV-01": "ERR-RECOV-01.logged",
    },
)
def fresh_correlation_ids() -> None:
    """The caller's correlation id is ignored: every request gets a new one."""
    kernel_middleware.correlation_id_from = lambda scope: uuid.uuid4().hex
