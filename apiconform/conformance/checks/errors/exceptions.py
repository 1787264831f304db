"""ERR-EXC-01..03, ERR-VAL-01 and ERR-FILTER-01: the built-in exceptions' statuses and
bodies, field-level validation errors, and unhandled exceptions answered as problems."""

from __future__ import annotations

import re
from typing import Any

from apiconform.conformance.checks.errors.problem import (
    crash,
    crash_secret,
    problem,
    trigger,
    unknown_path,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id
from apiconform.conformance.registry import CheckSkipped, check, expect


@check("ERR-EXC-01")
def missing_resources_are_404(ctx: CheckContext) -> None:
    """A handler's NotFound and an unknown route are both 404 problems with a title."""
    client = ctx.client()
    if ctx.has("errors.triggers.not-found"):
        problem(client.get(trigger(ctx, "not-found")), 404)
    else:
        ctx.unchecked("a handler's NotFound: the target declares no errors.triggers.not-found")
    problem(client.get(unknown_path()), 404)


def _says_why(body: dict[str, Any]) -> bool:
    """A detail that says more than the status phrase does."""
    detail = str(body.get("detail") or "").strip().lower().rstrip(".")
    return bool(detail) and detail not in {str(body.get("title", "")).lower(), "bad request"}


@check("ERR-EXC-02")
def bad_requests_are_400_saying_why(ctx: CheckContext) -> None:
    """A handler's BadRequest and a malformed JSON body are 400 problems whose detail says
    what is wrong."""
    client = ctx.client()
    halves = 0
    if ctx.has("errors.triggers.bad-request"):
        body = problem(client.get(trigger(ctx, "bad-request")), 400)
        expect(_says_why(body), "ERR-EXC-02.says-why", f"the 400 does not say why: {body}")
        halves += 1
    else:
        ctx.unchecked("a handler's BadRequest: the target declares no errors.triggers.bad-request")
    if ctx.has("errors.validation"):
        malformed = client.post(
            ctx.probe("errors.validation"),
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        body = problem(malformed, 400)
        expect(_says_why(body), "ERR-EXC-02.says-why-malformed", f"malformed JSON: {body}")
        halves += 1
    else:
        ctx.unchecked("a malformed body: the target declares no errors.validation")
    if not halves:
        raise CheckSkipped(
            "the target declares no errors.triggers.bad-request and no errors.validation"
        )


def dotted(field: str) -> str:
    """A field path in dotted form: JSON Pointer (``/address/zip``), JSONPath
    (``$.address.zip``), brackets (``address[zip]``) and a ``body.`` prefix are read too."""
    path = field.strip()
    if path.startswith("/"):
        path = path[1:].replace("/", ".")
    path = path.removeprefix("$.").removeprefix("body.")
    return re.sub(r"\[['\"]?([^\]'\"]+)['\"]?\]", r".\1", path).strip(".")


@check("ERR-EXC-03", "ERR-VAL-01")
def validation_failures_list_every_field(ctx: CheckContext) -> None:
    """Invalid input is 422 with one error per failed field (nested fields dotted), each
    saying what is wrong, all in one response."""
    errors = ctx.manifest.errors
    route = ctx.probe("errors.validation")
    body = problem(ctx.client().post(route, json=errors.invalid_body), 422)
    items = body.get("errors")
    expect(
        isinstance(items, list) and items,
        "ERR-EXC-03.errors-list",
        f"the 422 problem has no list of field errors: {body}",
    )
    assert isinstance(items, list)
    fields = set()
    for item in items:
        expect(
            isinstance(item, dict) and isinstance(item.get("field"), str),
            "ERR-EXC-03.item-field",
            f"a field error without a field: {item!r}",
        )
        expect(
            item.get("message") or item.get("constraints"),
            "ERR-EXC-03.item-says-why",
            f"the error for {item.get('field')!r} has neither message nor constraints",
        )
        fields.add(dotted(item["field"]))
    missing = sorted(set(errors.invalid_fields) - fields)
    expect(
        not missing,
        "ERR-VAL-01.all-fields",
        f"failed fields missing from the errors list: {missing} (listed: {sorted(fields)})",
    )


@check("ERR-FILTER-01")
def unhandled_exceptions_become_500_problems(ctx: CheckContext) -> None:
    """An unhandled exception is answered as a 500 problem, not a page or a dropped
    connection."""
    problem(crash(ctx, ctx.client(), crash_secret(), new_id()), 500)
