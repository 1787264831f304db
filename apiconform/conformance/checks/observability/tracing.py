"""OBS-TRACE-01: each request gets a server span, exported over OTLP/HTTP to the suite's
collector (the echo server's ``/v1/traces``), with method, URL, status code and duration.

OBS-TRACE-03: an outbound call carries W3C trace context that keeps the incoming trace
id with a new parent id (forwarding the incoming `traceparent` verbatim is the trap), and
starts a new trace when the request brought none.

The outbound probe calls the suite's echo server; the call is told from others (webhooks,
say) by the `traceparent` it carries. A request's span is told from others by the trace id
the suite sent, or by the fresh id in its path.
"""

from __future__ import annotations

import re
import secrets
import time

from apiconform.conformance import otlp
from apiconform.conformance.checks.observability.exposition import templated
from apiconform.conformance.context import CheckContext
from apiconform.conformance.echo import TRACES_PATH, EchoRequest, EchoServer
from apiconform.conformance.registry import CheckSkipped, check, expect, fail

TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
WAIT = 2.0


def _calls(echo: EchoServer) -> list[EchoRequest]:
    """What the echo server got, span exports to its collector left out."""
    return [r for r in echo.requests() if not otlp.is_export(r)]


def _outbound(ctx: CheckContext, echo: EchoServer, headers: dict[str, str]) -> list[EchoRequest]:
    """Call the outbound probe; the requests the echo server got meanwhile."""
    path = ctx.probe("observability.outbound")
    seen = len(_calls(echo))
    response = ctx.client().get(path, headers=headers)
    if not response.is_success:
        raise CheckSkipped(f"the outbound probe answered GET {path} {response.status_code}")
    deadline = time.monotonic() + WAIT
    while len(_calls(echo)) <= seen and time.monotonic() < deadline:
        time.sleep(0.02)
    new = _calls(echo)[seen:]
    if not new:
        raise CheckSkipped(
            f"the outbound probe {path} made no call to the echo server (is the target "
            "started with {echo_url}?)"
        )
    return new


def _traced(found: list[EchoRequest]) -> list[re.Match[str]]:
    return [m for r in found if (m := TRACEPARENT.match(r.headers.get("traceparent", "")))]


@check("OBS-TRACE-03")
def outbound_calls_carry_the_trace(ctx: CheckContext) -> None:
    """With an incoming `traceparent` (and `tracestate`), the outbound call carries W3C
    trace context with the same trace id and a new parent id, and the tracestate; without
    one, each request starts a new trace."""
    echo = ctx.echo
    if echo is None:
        raise CheckSkipped("needs the suite's echo server")
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    state = f"apiconform={secrets.token_hex(4)}"
    incoming = {"traceparent": f"00-{trace_id}-{parent_id}-01", "tracestate": state}
    found = _outbound(ctx, echo, incoming)
    traced = _traced(found)
    expect(
        bool(traced),
        "OBS-TRACE-03.injected",
        f"the outbound call carries no W3C traceparent: {[r.headers for r in found][:2]}",
    )
    ours = [m for m in traced if m.group(2) == trace_id]
    expect(
        bool(ours),
        "OBS-TRACE-03.same-trace",
        f"the outbound traceparent {[m.group(0) for m in traced]} does not keep the incoming "
        f"trace id {trace_id}",
    )
    expect(
        all(m.group(3) not in (parent_id, "0" * 16) for m in ours),
        "OBS-TRACE-03.new-parent",
        f"the outbound traceparent {ours[0].group(0)} forwards the incoming parent id "
        f"{parent_id}: the caller's span is not this service's",
    )
    carried = [
        r.headers.get("tracestate", "")
        for r in found
        if TRACEPARENT.match(r.headers.get("traceparent", ""))
    ]
    expect(
        any(state in value for value in carried),
        "OBS-TRACE-03.tracestate",
        f"the outbound call drops the incoming tracestate {state!r}: {carried}",
    )
    fresh = [m.group(2) for _ in range(2) for m in _traced(_outbound(ctx, echo, {}))]
    expect(
        len(fresh) >= 2 and len(set(fresh)) == len(fresh) and trace_id not in fresh,
        "OBS-TRACE-03.new-trace",
        f"requests without a traceparent made outbound calls with trace ids {fresh}: "
        "each should start a trace of its own",
    )


METHOD = ("http.request.method", "http.method")
STATUS = ("http.response.status_code", "http.status_code")
PATH = ("url.path", "http.target")
FULL_URL = ("url.full", "http.url")


def _exported(echo: EchoServer) -> tuple[list[otlp.Span], list[str]]:
    """Every span exported so far, and what could not be read."""
    spans: list[otlp.Span] = []
    unreadable: list[str] = []
    for export in otlp.exports(echo.requests()):
        try:
            spans.extend(otlp.spans_of(export))
        except otlp.OtlpError as error:
            unreadable.append(str(error))
    return spans, unreadable


def _of_request(spans: list[otlp.Span], trace_id: str, path: str) -> list[otlp.Span]:
    return [
        s
        for s in spans
        if s.trace_id == trace_id
        or any(isinstance(v, str) and path in v for v in s.attributes.values())
    ]


def _names_url(span: otlp.Span, path: str) -> bool:
    for value in (span.attribute(*PATH), span.attribute(*FULL_URL)):
        if isinstance(value, str):
            bare = value.split("?", 1)[0].split("#", 1)[0]
            if bare == path or (bare.endswith(path) and "://" in bare):
                return True
    return False


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


@check("OBS-TRACE-01")
def requests_get_server_spans(ctx: CheckContext) -> None:
    """An HTTP request received: THEN a span is created for it, AND it includes the HTTP
    method, URL and status code, AND records its duration. (Propagation downstream is
    OBS-TRACE-03's.) The request goes to the templated route with a fresh id and a sampled
    W3C traceparent; its SERVER span must reach the collector within
    ``observability.span_wait`` seconds with the method (``http.request.method`` or
    ``http.method``), the URL (``url.path``, ``http.target``, ``url.full`` or
    ``http.url``), the response's status code and a positive duration no longer than the
    client waited."""
    echo = ctx.echo
    if echo is None:
        raise CheckSkipped("needs the suite's echo server as the OTLP collector")
    raw, _ = templated(ctx)
    path = raw()
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    started = time.monotonic()
    response = ctx.client().get(path, headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})
    waited_ns = int((time.monotonic() - started) * 1e9)
    bound: float = ctx.probe("observability.span_wait")
    deadline = time.monotonic() + bound
    while True:
        spans, unreadable = _exported(echo)
        ours = _of_request(spans, trace_id, path)
        server = [s for s in ours if s.kind == otlp.SERVER]
        if server or unreadable or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    expect(
        not unreadable,
        "OBS-TRACE-01.export",
        f"exports to the collector that are not OTLP/HTTP: {unreadable[:2]}",
    )
    if not spans:
        raise CheckSkipped(
            f"the target exported no spans to {echo.url}{TRACES_PATH} within "
            f"{bound:g} s (point its OTLP/HTTP trace exporter there: the start command "
            "can pass {echo_url})"
        )
    if not server:
        fail(
            "OBS-TRACE-01.span",
            f"no SERVER span for GET {path} (trace id {trace_id}) reached the collector in "
            f"{bound:g} s; its spans: {[(s.name, s.kind) for s in ours][:4]}",
        )
    span = next((s for s in server if s.parent_span_id == parent_id), server[0])
    method = span.attribute(*METHOD)
    expect(
        method == "GET",
        "OBS-TRACE-01.method",
        f"the request's span gives the method as {method!r} (http.request.method or "
        f"http.method); it was GET: {span.attributes}",
    )
    expect(
        _names_url(span, path),
        "OBS-TRACE-01.url",
        f"the request's span does not name its URL {path} (url.path, http.target, url.full "
        f"or http.url): {span.attributes}",
    )
    status = _as_int(span.attribute(*STATUS))
    expect(
        status == response.status_code,
        "OBS-TRACE-01.status",
        f"the request's span gives the status code as {span.attribute(*STATUS)!r}; the "
        f"answer was {response.status_code}",
    )
    expect(
        0 < span.duration_ns <= waited_ns + 1_000_000_000,
        "OBS-TRACE-01.duration",
        f"the request's span lasted {span.duration_ns} ns (start {span.start_ns}, end "
        f"{span.end_ns}); the client waited {waited_ns / 1e6:.1f} ms",
    )
