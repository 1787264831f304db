"""Burst allowance with a token bucket (THR-BURST-01, THR-BURST-02)."""

from __future__ import annotations

import math
import time

from apiconform.conformance.checks.throttling.limits import integer, retry_after
from apiconform.conformance.context import CheckContext
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.manifest import BurstProbe
from apiconform.conformance.registry import CheckSkipped, check, expect


def statuses(client: TargetClient, path: str, count: int) -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def full_bucket_first(client: TargetClient, probe: BurstProbe) -> None:
    """Take the first token of a full bucket (waiting for it to fill once when the first
    answer shows tokens already spent)."""
    for attempt in range(2):
        response = client.get(str(probe.path))
        if response.status_code != 429 and not 200 <= response.status_code < 300:
            raise CheckSkipped(
                f"the burst probe {client.base_url}{probe.path} answered "
                f"{response.status_code}, not 2xx"
            )
        full = (
            200 <= response.status_code < 300
            and integer(response, "x-ratelimit-remaining") == probe.burst - 1
        )
        if full or attempt == 1:
            return
        time.sleep(probe.burst / probe.refill + 0.2)


@check("THR-BURST-01")
def burst_then_steady_refill(ctx: CheckContext) -> None:
    """Normal traffic with burst capacity: THEN up to ``burst`` requests pass at once, AND
    tokens refill at a steady rate. From a full bucket, ``burst + 1`` requests at once
    admit exactly ``burst``; 2.2 refill intervals later exactly two more pass."""
    probe = ctx.probe("throttling.burst")
    client = ctx.client()
    path = str(probe.path)
    full_bucket_first(client, probe)
    spent = time.time()
    burst = [200, *statuses(client, path, probe.burst)]
    admitted = sum(200 <= s < 300 for s in burst)
    expect(
        admitted == probe.burst and burst[-1] == 429,
        "THR-BURST-01.burst",
        f"{probe.burst + 1} requests at once from a full bucket: {admitted} admitted "
        f"(statuses {burst}); the burst is {probe.burst}",
    )
    interval = 1 / probe.refill
    time.sleep(max(0.0, spent + 2.2 * interval - time.time()))
    later = statuses(client, path, 3)
    expect(
        later == [200, 200, 429],
        "THR-BURST-01.refill",
        f"2.2 refill intervals ({2.2 * interval:.1f} s) after the burst, three requests were "
        f"answered {later}: two tokens at {probe.refill:g} a second should have returned",
    )


@check("THR-BURST-02")
def spent_burst_passes_at_the_refill_rate(ctx: CheckContext) -> None:
    """Burst capacity exhausted: THEN requests are limited at the refill rate, AND tokens
    replenish over time. The refusal's Retry-After is the time to the next token (not a
    window); after it one request passes and the next is refused again."""
    probe = ctx.probe("throttling.burst")
    client = ctx.client()
    path = str(probe.path)
    refused = None
    for _ in range(probe.burst + 2):
        response = client.get(path)
        if response.status_code == 429:
            refused = response
            break
    if refused is None:
        raise CheckSkipped(
            f"{probe.burst + 2} requests to {path} were never refused (see THR-BURST-01)"
        )
    received = time.time()
    delay = retry_after(refused)
    expect(
        delay is not None and 1 <= delay <= math.ceil(1 / probe.refill),
        "THR-BURST-02.retry-after",
        f"the spent bucket's Retry-After is {refused.headers.get('retry-after')!r}; the next "
        f"token is at most {1 / probe.refill:g} s away",
    )
    assert delay is not None
    time.sleep(max(0.0, received + delay - time.time()))
    after = statuses(client, path, 2)
    expect(
        after[0] != 429,
        "THR-BURST-02.honest",
        f"waited the {delay} s Retry-After said and was refused",
    )
    expect(
        after[1] == 429,
        "THR-BURST-02.rate",
        f"one refill interval after a spent burst, two requests in a row were answered "
        f"{after}: only one token should have returned",
    )
