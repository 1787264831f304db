"""Time windows: a second (THR-WIN-01), a minute (THR-WIN-02), an hour (THR-WIN-03)."""

from __future__ import annotations

import time

import httpx

from apiconform.conformance.checks.throttling.headers import SLACK
from apiconform.conformance.checks.throttling.limits import admitted, burst, integer
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import CheckSkipped, check, expect, fail


@check("THR-WIN-01")
def one_second_windows(ctx: CheckContext) -> None:
    """Per-second rate limiting: THEN the limit resets every second, AND allows a burst
    up to the limit. ``limit + 1`` requests at once: the last is refused (a second try
    when the burst straddled a window's end); a second later requests pass again."""
    probe = ctx.probe("throttling.per_second")
    if probe.ttl != 1:
        raise CheckSkipped(f"the per-second probe declares a TTL of {probe.ttl:g} s, not 1")
    client = ctx.client()
    path = str(probe.path)
    statuses = burst(client, path, probe.limit + 1)
    refused_at = time.time()
    if statuses[0] == 429:
        raise CheckSkipped(f"{path} refused the first request of a burst (see THR-HDR-02)")
    expect(
        statuses == [*[statuses[0]] * probe.limit, 429] and 200 <= statuses[0] < 300,
        "THR-WIN-01.burst",
        f"{probe.limit + 1} requests at once to {path} (limit {probe.limit} a second) were "
        f"answered {statuses}: the limit should pass, the next be refused",
    )
    time.sleep(max(0.0, refused_at + 1.05 - time.time()))
    again = client.get(path).status_code
    expect(
        again != 429,
        "THR-WIN-01.resets",
        f"a second after {path} refused a request, it still refuses: the limit should reset "
        "every second",
    )


def _reset(response: httpx.Response, path: str) -> int:
    reset = integer(response, "x-ratelimit-reset")
    if reset is None:
        raise CheckSkipped(f"{path} sends no X-RateLimit-Reset as a Unix time (see THR-HDR-01)")
    return reset


@check("THR-WIN-02")
def minute_windows(ctx: CheckContext) -> None:
    """A 60-second TTL: THEN the limit applies to each minute (nothing spreads requests
    over it). From the headers: X-RateLimit-Reset at most a minute ahead, and a window
    that ended within 3 s is followed by one that does not; then ``limit + 1`` requests
    at once end in a 429, and a second later, inside the window its own Reset names, the
    route still refuses (the count is not kept per second)."""
    probe = ctx.probe("throttling.per_minute")
    if probe.ttl != 60:
        raise CheckSkipped(f"the per-minute probe declares a TTL of {probe.ttl:g} s, not 60")
    client = ctx.client()
    path = str(probe.path)
    for _ in range(2):
        first, sent = admitted(client, probe)
        reset = _reset(first, path)
        expect(
            sent - SLACK < reset <= sent + probe.ttl + SLACK,
            "THR-WIN-02.reset",
            f"{path}'s X-RateLimit-Reset is {reset}, {reset - sent:.0f} s ahead: a minute's "
            "window ends within 60 s",
        )
        if reset - time.time() >= 3:
            break
        time.sleep(max(0.0, reset - time.time()) + 0.2)  # into the next window
    else:
        fail(
            "THR-WIN-02.minute-long",
            f"two windows of {path} in a row ended within 3 s: its window is not a minute",
        )
    statuses = burst(client, path, probe.limit + 1)
    expect(
        statuses[-1] == 429,
        "THR-WIN-02.limit",
        f"{probe.limit + 1} requests at once to {path} (limit {probe.limit} a minute) were "
        f"answered {statuses}",
    )
    time.sleep(1.1)
    if time.time() > reset - 0.5:
        ctx.unchecked(f"the window of {path} ended while the limit was spent")
        return
    again = client.get(path)
    expect(
        again.status_code == 429,
        "THR-WIN-02.whole-minute",
        f"a second after {path} refused a request, inside the minute its Reset names "
        f"({reset - time.time():.0f} s left), it answered {again.status_code}: the limit "
        "is counted per second, not per minute",
    )


@check("THR-WIN-03")
def hourly_quota(ctx: CheckContext) -> None:
    """A 3600-second TTL: THEN the limit applies to each hour, as a quota. From the
    headers of one request: X-RateLimit-Limit is the declared hourly limit and
    X-RateLimit-Reset at most an hour ahead (when the quota is spent, the 429's)."""
    probe = ctx.probe("throttling.per_hour")
    if probe.ttl != 3600:
        raise CheckSkipped(f"the hourly probe declares a TTL of {probe.ttl:g} s, not 3600")
    path = str(probe.path)
    sent = time.time()
    response = ctx.client().get(path)
    if response.status_code != 429 and not 200 <= response.status_code < 300:
        raise CheckSkipped(f"the hourly probe {path} answered {response.status_code}, not 2xx")
    reset = _reset(response, path)
    expect(
        sent - SLACK < reset <= sent + probe.ttl + SLACK,
        "THR-WIN-03.reset",
        f"{path}'s X-RateLimit-Reset is {reset}, {reset - sent:.0f} s ahead: an hour's quota "
        "renews within 3600 s",
    )
    expect(
        integer(response, "x-ratelimit-limit") == probe.limit,
        "THR-WIN-03.limit",
        f"{path}'s X-RateLimit-Limit is {response.headers.get('x-ratelimit-limit')!r}, not "
        f"the hourly quota {probe.limit}",
    )
