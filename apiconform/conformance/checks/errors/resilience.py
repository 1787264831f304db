"""ERR-DEGR-01 and ERR-RECOV-02: a route with a fallback while its dependency is down,
and a circuit breaker in front of a downstream service.

The breaker's downstream is the suite's echo server (the target's start command points the
probe at ``{echo_url}`` plus ``breaker_downstream``): the suite switches it between healthy
and failing, and counts the calls that reach it, so "fails fast" is seen as answers given
without calling the downstream.
"""

from __future__ import annotations

import time

from apiconform.conformance import loglines
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id, tagged
from apiconform.conformance.echo import EchoServer
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import CheckSkipped, check, expect

# calls a circuit may take to open under a failing downstream
MAX_CALLS_TO_OPEN = 40
# calls that must fail fast once it is open
OPEN_CALLS = 5
POLL = 0.1


def _switch(client: TargetClient, path: str, up: bool) -> None:
    answer = client.put(path, json={"up": up})
    if not answer.is_success:
        raise CheckSkipped(f"the dependency switch {path} answered {answer.status_code}")


@check("ERR-DEGR-01")
def fallback_answers_while_a_dependency_is_down(ctx: CheckContext) -> None:
    """With its dependency down, a route with a fallback still answers (from a cache or a
    default) with X-Degraded-Mode: true, and the target logs that it degraded."""
    route = ctx.probe("errors.degraded")
    switch = ctx.probe("errors.dependency")
    output = ctx.process().output
    client = ctx.client()
    _switch(client, switch, True)
    healthy = client.get(route)
    if healthy.status_code != 200:
        raise CheckSkipped(f"the fallback route {route} answered {healthy.status_code} while up")
    expect(
        healthy.headers.get("x-degraded-mode", "false").lower() != "true",
        "ERR-DEGR-01.healthy-unflagged",
        "X-Degraded-Mode: true while the dependency is up",
    )
    since = output.mark()
    correlation_id = new_id()
    try:
        _switch(client, switch, False)
        degraded = client.get(route, headers=tagged(correlation_id))
    finally:
        _switch(client, switch, True)
    expect(
        degraded.is_success,
        "ERR-DEGR-01.answers",
        f"with its dependency down the route answered {degraded.status_code}, not a fallback",
    )
    expect(
        degraded.headers.get("x-degraded-mode", "").lower() == "true",
        "ERR-DEGR-01.header",
        f"the fallback answer has no X-Degraded-Mode: true "
        f"({degraded.headers.get('x-degraded-mode')!r})",
    )

    def about_degrading(line: loglines.Line) -> bool:
        return loglines.is_warning_or_worse(line) and (
            loglines.carries(line, correlation_id) or "degrad" in str(line).lower()
        )

    lines = loglines.wait_for_request(
        output,
        since,
        correlation_id,
        lambda found: any(about_degrading(x) for x in found),
        ctx.log_wait,
    )
    others = [x for x in output.json_lines(since) if about_degrading(x)]
    expect(
        any(about_degrading(x) for x in lines) or others,
        "ERR-DEGR-01.logged",
        "no warning-level line reports the degraded mode",
    )


def _echo(ctx: CheckContext) -> EchoServer:
    if ctx.echo is None:
        raise CheckSkipped("needs the suite's echo server")
    return ctx.echo


def _opened(client: TargetClient, route: str, echo: EchoServer, downstream: str) -> int | None:
    """Call the route until an answer comes without a call to the downstream; the number
    of calls that took, or None."""
    for calls in range(1, MAX_CALLS_TO_OPEN + 1):
        before = len(echo.requests(downstream))
        client.get(route)
        if len(echo.requests(downstream)) == before:
            return calls
    return None


@check("ERR-RECOV-02")
def circuit_breaker_opens_and_recovers(ctx: CheckContext) -> None:
    """While the downstream keeps failing, the circuit opens: calls fail without reaching
    it; after a while a trial call goes through, and once the downstream is healthy the
    route answers again."""
    route = ctx.probe("errors.breaker")
    downstream = ctx.probe("errors.breaker_downstream")
    reset = ctx.manifest.errors.breaker_reset
    echo = _echo(ctx)
    client = ctx.client()
    echo.respond(downstream, 200)
    before = len(echo.requests(downstream))
    healthy = client.get(route)
    if not healthy.is_success or len(echo.requests(downstream)) == before:
        raise CheckSkipped(
            f"the breaker route {route} answered {healthy.status_code} without calling "
            f"the downstream {echo.url}{downstream}"
        )
    echo.respond(downstream, 503, b'{"error": "down"}')
    try:
        opened = _opened(client, route, echo, downstream)
        expect(
            opened is not None,
            "ERR-RECOV-02.opens",
            f"{MAX_CALLS_TO_OPEN} calls against a failing downstream all reached it",
        )
        calls_before = len(echo.requests(downstream))
        statuses = [client.get(route).status_code for _ in range(OPEN_CALLS)]
        expect(
            all(s >= 500 for s in statuses) and len(echo.requests(downstream)) == calls_before,
            "ERR-RECOV-02.fails-fast",
            f"while open, calls answered {statuses} and "
            f"{len(echo.requests(downstream)) - calls_before} reached the downstream",
        )
    finally:
        echo.respond(downstream, 200)
    deadline = time.monotonic() + 3 * reset + 5
    recovered = False
    while time.monotonic() < deadline and not recovered:
        recovered = client.get(route).is_success
        if not recovered:
            time.sleep(POLL)
    expect(
        recovered,
        "ERR-RECOV-02.recovers",
        f"no trial call recovered the route within {3 * reset + 5:g} s of a healthy downstream",
    )
