"""OBS-LOG-01 and OBS-LOG-02: structured JSON log lines, and one correlation id per request
that reaches the lines its async work writes.

Both read the target's own output (managed mode) around requests to the log probe, which
writes the message the suite chose, with custom fields the suite chose, once from its
handler and once from async work. Lines are tied to the request by those values
(``loglines``), never by the reference's field names: a pino line (``msg``, numeric
``level``, epoch ``time``, ``reqId``, ``traceId``) passes as well as a structlog one.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import httpx

from apiconform.conformance import loglines
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import HEADERS, from_headers, new_id, tagged
from apiconform.conformance.registry import CheckSkipped, check, expect
from apiconform.conformance.target import OutputLine, OutputLog

# where a line may say which component wrote it (the spec's "context")
CONTEXT_KEYS = (
    "logger",
    "context",
    "logger_name",
    "loggerName",
    "name",
    "module",
    "caller",
    "component",
    "source",
    "category",
    "SourceContext",
)
# where loggers put the request's id when the suite sent none (by value otherwise)
CORRELATION_KEYS = (
    "correlation_id",
    "correlationId",
    "request_id",
    "requestId",
    "reqId",
    "req_id",
    "req.id",
    "x-correlation-id",
    "x-request-id",
    "RequestId",
    "CorrelationId",
)
TRACE_KEYS = ("trace_id", "traceId", "trace.id", "traceID", "otelTraceID", "dd.trace_id")
SPAN_KEYS = ("span_id", "spanId", "span.id", "spanID", "otelSpanID", "dd.span_id")
TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
SPAN_ID = re.compile(r"^[0-9a-f]{16}$")
# the probe writes two lines per request: the handler's and the async work's
PROBE_LINES = 2


@dataclass(frozen=True)
class Logged:
    """One request to the log probe: what was sent, what came back, what it logged."""

    path: str
    message: str
    fields: dict[str, str]
    response: httpx.Response
    lines: list[loglines.Line]  # the lines that carry the message
    about: list[OutputLine]  # every output line that mentions the message, id or path


def _log(
    ctx: CheckContext,
    output: OutputLog,
    *,
    correlation_id: str | None,
    traceparent: str | None = None,
) -> Logged:
    path = ctx.probe("observability.logged")
    message = new_id("log-probe")
    fields = {"order_ref": new_id("order")}
    headers = tagged(correlation_id) if correlation_id else {}
    if traceparent:
        headers["traceparent"] = traceparent
    since = output.mark()
    response = ctx.client().post(path, json={"message": message, "fields": fields}, headers=headers)
    if not response.is_success:
        raise CheckSkipped(f"the log probe answered POST {path} {response.status_code}")
    lines = loglines.wait_for_lines(
        output,
        since,
        lambda line: loglines.carries(line, message),
        lambda found: len(found) >= PROBE_LINES,
        ctx.log_wait,
    )
    marks = [message, path] + ([correlation_id] if correlation_id else [])
    about = [line for line in output.lines(since) if any(m in line.text for m in marks)]
    return Logged(path, message, fields, response, lines, about)


def _require_lines(logged: Logged, *, parsed: bool = False) -> None:
    """Skip when the probe wrote no line with its message, or (``parsed``) none that is
    a JSON object, which OBS-LOG-01 judges."""
    if not any(logged.message in line.text for line in logged.about):
        raise CheckSkipped(
            f"the log probe {logged.path} wrote no line with the message the suite sent "
            "(is the target's log level info or lower?)"
        )
    if parsed and not logged.lines:
        raise CheckSkipped(
            f"the log probe's lines are not JSON objects (see OBS-LOG-01): "
            f"{[line.text for line in logged.about][:1]}"
        )


def _hex_ids(line: loglines.Line, keys: tuple[str, ...], shape: re.Pattern[str]) -> set[str]:
    found = loglines.field(line, *keys)
    return {found.lower()} if isinstance(found, str) and shape.match(found.lower()) else set()


@check("OBS-LOG-01")
def log_lines_are_structured_json(ctx: CheckContext) -> None:
    """Structured logging enabled: THEN logs are JSON objects, AND include timestamp,
    level, message and context, AND the trace and span ids (the request brings a W3C
    trace context, so they are available), AND custom metadata fields. Every output line
    that mentions the request must parse as one JSON object; each line the probe wrote
    must have a parseable time, a level, the message, a context (the component that
    wrote it or the request it belongs to), the trace id and a span id, and the custom
    field's value the suite sent."""
    output = ctx.process().output
    correlation_id = new_id()
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    logged = _log(
        ctx,
        output,
        correlation_id=correlation_id,
        traceparent=f"00-{trace_id}-{parent_id}-01",
    )
    _require_lines(logged)
    plain = [line.text for line in logged.about if line.json() is None]
    expect(
        not plain,
        "OBS-LOG-01.json",
        f"{len(plain)} output line(s) about the request are not JSON objects: {plain[:2]}",
    )
    for line in logged.lines:
        missing = [
            name
            for name, present in (
                ("timestamp", loglines.timestamp(line) is not None),
                ("level", loglines.level(line) is not None),
                ("message", loglines.message(line) == logged.message),
            )
            if not present
        ]
        expect(
            not missing,
            "OBS-LOG-01.fields",
            f"a line of the log probe has no {', '.join(missing)} (the time must parse, "
            f"the message must be the one sent): {line}",
        )
        context = loglines.field(line, *CONTEXT_KEYS)
        expect(
            (isinstance(context, str) and bool(context.strip()))
            or loglines.carries(line, correlation_id)
            or loglines.has_path(line, logged.path),
            "OBS-LOG-01.context",
            "a line of the log probe names neither the component that wrote it (logger, "
            f"context, ...) nor the request it belongs to: {line}",
        )
        traces = {trace_id} if loglines.carries(line, trace_id) else set()
        traces |= _hex_ids(line, TRACE_KEYS, TRACE_ID)
        spans = _hex_ids(line, SPAN_KEYS, SPAN_ID) | {
            v for v in loglines.values(line) if isinstance(v, str) and SPAN_ID.match(v)
        }
        expect(
            bool(traces - {"0" * 32}) and bool(spans - {"0" * 16}),
            "OBS-LOG-01.trace",
            f"a line written inside a traced request (traceparent with trace id {trace_id}) "
            f"carries no trace id and span id: {line}",
        )
        expect(
            all(loglines.carries(line, value) for value in logged.fields.values()),
            "OBS-LOG-01.metadata",
            f"the custom fields {logged.fields} the probe logged are not on its line: {line}",
        )


@check("OBS-LOG-02")
def request_lines_share_one_correlation_id(ctx: CheckContext) -> None:
    """A request processed: THEN all its logs include the same correlation id, AND one is
    generated when the request brings none, AND it reaches async operations. With an id
    sent (X-Correlation-ID and X-Request-ID), every line of the request carries it, the
    async work's line included; without one, the lines share one generated id (the one
    the response returns, else the one under a correlation key), and two requests get two
    ids. (Lines are tied to the request by the probe's message: an access line naming
    the path cannot be told from a previous request's.)"""
    output = ctx.process().output
    correlation_id = new_id()
    sent = _log(ctx, output, correlation_id=correlation_id)
    _require_lines(sent, parsed=True)
    expect(
        any(loglines.carries(line, correlation_id) for line in sent.lines),
        "OBS-LOG-02.same-id",
        f"no line of the request carries the correlation id {correlation_id} it was sent "
        f"with ({' / '.join(HEADERS)}): {sent.lines[:1]}",
    )
    if len(sent.lines) < PROBE_LINES:
        ctx.unchecked(
            f"the log probe wrote {len(sent.lines)} line(s) with its message, not one from "
            "its handler and one from its async work: propagation to async operations "
            "cannot be told"
        )
    strays = [line for line in sent.lines if not loglines.carries(line, correlation_id)]
    expect(
        not strays,
        "OBS-LOG-02.async",
        f"a line the request's async work wrote lacks its correlation id {correlation_id}: "
        f"{strays[:1]}",
    )
    generated = [_generated_id(_log(ctx, output, correlation_id=None)) for _ in range(2)]
    expect(
        generated[0] != generated[1],
        "OBS-LOG-02.unique",
        f"two requests without an id were given the same one: {generated[0]!r}",
    )


def _generated_id(logged: Logged) -> str:
    """The id the target generated for ``logged`` (fails OBS-LOG-02.generated without
    one): the returned header's value when the lines carry it, else the one correlation
    key they share."""
    _require_lines(logged, parsed=True)
    lines = logged.lines
    for candidate in from_headers(logged.response):
        if lines and all(loglines.carries(line, candidate) for line in lines):
            return candidate
    ids = {str(loglines.field(line, *CORRELATION_KEYS)) for line in lines}
    found = next(iter(ids)) if len(ids) == 1 else None
    expect(
        bool(lines) and found not in (None, "None", "", "null"),
        "OBS-LOG-02.generated",
        "a request without a correlation id: its lines share no generated id (no header "
        f"value nor correlation field common to them): {lines[:2]}",
    )
    assert found is not None
    return found
