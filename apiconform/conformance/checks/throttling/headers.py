"""Rate-limit response headers (THR-HDR-01, THR-HDR-02)."""

from __future__ import annotations

import math
import time

from apiconform.conformance.checks.throttling.limits import admitted, integer, retry_after
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import CheckSkipped, check, expect

HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
# network and rounding: a Unix second either side
SLACK = 1.5
GAP = 1.1


@check("THR-HDR-01")
def headers_within_limits(ctx: CheckContext) -> None:
    """A request within limits: THEN X-RateLimit-Limit, AND X-RateLimit-Remaining, AND
    X-RateLimit-Reset as a Unix timestamp. As the catalog decides: Remaining goes down by
    one per counted request and Reset (the window's end) stays the same within it."""
    probe = ctx.probe("throttling.limited")
    if probe.limit < 2:
        raise CheckSkipped("two requests in one window need a declared limit of 2 or more")
    client = ctx.client()
    for _ in range(3):
        first, sent = admitted(client, probe)
        if probe.ttl >= 3:  # a Reset that slides with each request shows a second later
            time.sleep(GAP)
        second = client.get(str(probe.path))
        if second.status_code != 429 and integer(second, "x-ratelimit-remaining") != (
            probe.limit - 1
        ):
            break  # else the window ended between the two: once more, in one window
    for response in (first, second):
        expect(
            all(integer(response, name) is not None for name in HEADERS),
            "THR-HDR-01.present",
            f"an admitted request must carry {', '.join(HEADERS)} as whole numbers; got "
            f"{ {name: response.headers.get(name) for name in HEADERS} }",
        )
    limit = integer(first, "x-ratelimit-limit")
    expect(
        limit == probe.limit,
        "THR-HDR-01.limit",
        f"X-RateLimit-Limit is {limit}; the manifest declares {probe.limit} per {probe.ttl:g} s",
    )
    reset = integer(first, "x-ratelimit-reset") or 0
    expect(
        sent - SLACK <= reset <= sent + probe.ttl + SLACK,
        "THR-HDR-01.reset-unix",
        f"X-RateLimit-Reset is {reset}; a Unix time between now ({sent:.0f}) and the "
        f"window's end (at most {probe.ttl:g} s later) was expected (a delta is not one)",
    )
    before, after = (integer(r, "x-ratelimit-remaining") or 0 for r in (first, second))
    expect(
        second.status_code != 429 and after == before - 1,
        "THR-HDR-01.counts-down",
        f"two requests in one window: X-RateLimit-Remaining went {before} -> {after} "
        f"(status {second.status_code}); it must drop by exactly one",
    )
    expect(
        integer(second, "x-ratelimit-reset") == reset,
        "THR-HDR-01.reset-constant",
        f"X-RateLimit-Reset moved within one window: {reset} -> "
        f"{second.headers.get('x-ratelimit-reset')}",
    )


@check("THR-HDR-02")
def headers_over_the_limit(ctx: CheckContext) -> None:
    """A request over the limit: THEN 429, AND Retry-After in seconds, AND X-RateLimit-Reset,
    AND Remaining 0. As the catalog decides: Retry-After (whole seconds) and Reset (Unix)
    agree, and Retry-After is honest: a request sent after waiting that long passes. (The
    429's body is ERR-PD-01's business.)"""
    probe = ctx.probe("throttling.limited")
    client = ctx.client()
    admitted(client, probe)
    refused = None
    for _ in range(2 * probe.limit + 2):  # a window that ends midway starts another
        response = client.get(str(probe.path))
        if response.status_code == 429:
            refused = response
            break
    expect(
        refused is not None,
        "THR-HDR-02.refused",
        f"{2 * probe.limit + 3} requests in a row to {probe.path} (limit {probe.limit} per "
        f"{probe.ttl:g} s) and none was answered 429",
    )
    assert refused is not None
    received = time.time()
    delay = retry_after(refused)
    expect(
        delay is not None and 1 <= delay <= math.ceil(probe.ttl) + 1,
        "THR-HDR-02.retry-after",
        f"Retry-After is {refused.headers.get('retry-after')!r}; whole seconds from 1 to "
        f"the TTL ({probe.ttl:g}) were expected",
    )
    assert delay is not None
    reset = integer(refused, "x-ratelimit-reset")
    expect(
        reset is not None and received - SLACK <= reset <= received + probe.ttl + SLACK,
        "THR-HDR-02.reset",
        f"the 429's X-RateLimit-Reset is {refused.headers.get('x-ratelimit-reset')!r}; the "
        "Unix time the window ends was expected",
    )
    assert reset is not None
    expect(
        integer(refused, "x-ratelimit-remaining") == 0,
        "THR-HDR-02.remaining-zero",
        f"the 429's X-RateLimit-Remaining is "
        f"{refused.headers.get('x-ratelimit-remaining')!r}, not 0",
    )
    expect(
        abs(received + delay - reset) <= 2,
        "THR-HDR-02.agrees",
        f"Retry-After {delay} s and X-RateLimit-Reset {reset} disagree: now + Retry-After "
        f"is {received + delay:.0f}",
    )
    time.sleep(max(0.0, received + delay - time.time()))
    after = client.get(str(probe.path))
    expect(
        after.status_code != 429,
        "THR-HDR-02.honest",
        f"waited the {delay} s Retry-After said and was refused again "
        f"(Retry-After {after.headers.get('retry-after')!r})",
    )
