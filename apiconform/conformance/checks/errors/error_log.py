"""ERR-CORR-01, ERR-CORR-02, ERR-LOG-01 and ERR-CTX-01: the correlation id of a failed
request goes back to the client and into the error log line, which records the error and
the request.

Log lines are matched by value, not by field name: the line of a request is one that
carries the correlation id the suite sent, under whatever key the target's logger uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from apiconform.conformance import loglines
from apiconform.conformance.checks.errors.problem import (
    crash,
    crash_secret,
    not_found_stimulus,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import from_body, from_headers, json_body, new_id, tagged
from apiconform.conformance.registry import check, expect


@check("ERR-CORR-01")
def correlation_id_is_returned(ctx: CheckContext) -> None:
    """An error response returns the caller's correlation id (in a header or the
    problem); without one, the target makes one up and returns it; the problem's id is the
    header's."""
    client = ctx.client()
    sent = new_id()
    for headers in (tagged(sent), {}):
        response = not_found_stimulus(ctx, client, headers=headers)
        in_headers, in_body = from_headers(response), from_body(json_body(response))
        ids = in_headers + in_body
        expect(ids, "ERR-CORR-01.returned", f"the error returns no correlation id ({headers})")
        # X-Correlation-ID and X-Request-ID may name different things; the problem's
        # member must be one of them
        expect(
            not in_headers or not in_body or set(in_body) & set(in_headers),
            "ERR-CORR-01.consistent",
            f"the problem's correlation id {in_body} is none of the headers' {in_headers}",
        )
        expect(
            not headers or sent in ids,
            "ERR-CORR-01.reused",
            f"the correlation id sent ({sent}) does not come back; returned: {ids}",
        )


@dataclass
class CrashLog:
    """The error line of a crash, and what the suite sent to cause it."""

    line: loglines.Line
    correlation_id: str
    secret: str
    path: str


def crash_log(ctx: CheckContext) -> CrashLog:
    """Crash the target with a fresh correlation id and secret message, and find the
    error-level line that carries the id."""
    output = ctx.process().output
    since = output.mark()
    correlation_id, secret = new_id(), crash_secret()
    response = crash(ctx, ctx.client(), secret, correlation_id)
    lines = loglines.wait_for_request(
        output,
        since,
        correlation_id,
        lambda found: any(loglines.is_error(x) for x in found),
        ctx.log_wait,
    )
    errors = [x for x in lines if loglines.is_error(x)]
    expect(
        errors,
        "errorlog.found",
        f"no error-level JSON log line carries the crash's correlation id {correlation_id} "
        f"({len(lines)} other line(s) of the request)",
    )
    return CrashLog(errors[0], correlation_id, secret, response.request.url.path)


@check("ERR-CORR-02")
def error_log_carries_the_correlation_id(ctx: CheckContext) -> None:
    """The error line of a failed request carries the id the request sent."""
    crash_log(ctx)


@check("ERR-LOG-01")
def server_errors_are_logged_with_the_stack(ctx: CheckContext) -> None:
    """A caught 5xx is logged at error level as JSON with the error's message, its stack
    and the request it came from."""
    found = crash_log(ctx)
    expect(
        loglines.mentions(found.line, found.secret),
        "ERR-LOG-01.message",
        f"the error line does not hold the exception's message ({found.secret}): {found.line}",
    )
    expect(
        loglines.has_stack(found.line),
        "ERR-LOG-01.stack",
        f"the error line holds no stack trace (keys {sorted(found.line)})",
    )
    expect(
        loglines.has_path(found.line, found.path) or loglines.carries(found.line, "GET"),
        "ERR-LOG-01.context",
        f"the error line says nothing of the request (no path, no method): {found.line}",
    )


@check("ERR-CTX-01")
def error_log_records_the_request(ctx: CheckContext) -> None:
    """The error line records the request's id, path, method, client IP and time (and
    the user, for a signed-in request)."""
    found = crash_log(ctx)
    line = found.line
    expect(loglines.carries(line, "GET"), "ERR-CTX-01.method", f"no method GET in {line}")
    expect(
        loglines.has_path(line, found.path),
        "ERR-CTX-01.path",
        f"no path {found.path} in {line}",
    )
    expect(loglines.has_ip_address(line), "ERR-CTX-01.client-ip", f"no client IP in {line}")
    expect(loglines.timestamp(line) is not None, "ERR-CTX-01.timestamp", f"no time in {line}")
