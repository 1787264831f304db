"""OBS-TRACE-03: an outbound call carries W3C trace context that keeps the incoming trace
id with a new parent id (forwarding the incoming `traceparent` verbatim is the trap), and
starts a new trace when the request brought none.

The probe calls the suite's echo server; the call is told from others (webhooks, say) by
the `traceparent` it carries.
"""

from __future__ import annotations

import re
import secrets
import time

from apiconform.conformance.context import CheckContext
from apiconform.conformance.echo import EchoRequest, EchoServer
from apiconform.conformance.registry import CheckSkipped, check, expect

TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
WAIT = 2.0


def _outbound(ctx: CheckContext, echo: EchoServer, headers: dict[str, str]) -> list[EchoRequest]:
    """Call the outbound probe; the requests the echo server got meanwhile."""
    path = ctx.probe("observability.outbound")
    seen = len(echo.requests())
    response = ctx.client().get(path, headers=headers)
    if not response.is_success:
        raise CheckSkipped(f"the outbound probe answered GET {path} {response.status_code}")
    deadline = time.monotonic() + WAIT
    while len(echo.requests()) <= seen and time.monotonic() < deadline:
        time.sleep(0.02)
    new = echo.requests()[seen:]
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
