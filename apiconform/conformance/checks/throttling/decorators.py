"""Controller limits and route overrides (THR-DEC-01, THR-DEC-02)."""

from __future__ import annotations

import time

import httpx

from apiconform.conformance.checks.throttling.limits import integer, wait_out
from apiconform.conformance.context import CheckContext
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.manifest import LimitedProbe
from apiconform.conformance.registry import CheckSkipped, check, expect

SLACK = 1.5


def first_answer(client: TargetClient, probe: LimitedProbe) -> tuple[httpx.Response, float]:
    """The route's first answer in a window (a used-up window is waited out once)."""
    response = client.get(str(probe.path))
    received = time.time()
    if response.status_code == 429:
        wait_out(response, probe, received)
        response = client.get(str(probe.path))
        received = time.time()
    if not 200 <= response.status_code < 300:
        raise CheckSkipped(
            f"the probe {client.base_url}{probe.path} answered {response.status_code}, not 2xx"
        )
    return response, received


@check("THR-DEC-01")
def controller_limit_applies_to_its_routes(ctx: CheckContext) -> None:
    """Controller-level rate limiting: THEN the controller's routes are rate limited, AND
    use the specified limit and TTL, AND answer 429 when the limit is exceeded. Seen on a
    route of the controller without a limit of its own (counters are per route)."""
    probe = ctx.probe("throttling.controller_default")
    client = ctx.client()
    first, received = first_answer(client, probe)
    limit = integer(first, "x-ratelimit-limit")
    expect(
        limit == probe.limit,
        "THR-DEC-01.limit",
        f"{probe.path} advertises X-RateLimit-Limit {limit}; its controller's limit is "
        f"{probe.limit} per {probe.ttl:g} s",
    )
    reset = integer(first, "x-ratelimit-reset")
    expect(
        reset is not None and received - SLACK <= reset <= received + probe.ttl + SLACK,
        "THR-DEC-01.ttl",
        f"{probe.path}'s window ends at {first.headers.get('x-ratelimit-reset')!r}; the "
        f"controller's TTL is {probe.ttl:g} s from now ({received:.0f})",
    )
    admitted, refused = 1, False
    for _ in range(probe.limit + 1):
        if client.get(str(probe.path)).status_code == 429:
            refused = True
            break
        admitted += 1
    expect(
        refused and admitted <= probe.limit,
        "THR-DEC-01.enforced",
        f"{probe.path} admitted {admitted} requests in a row "
        f"({'then' if refused else 'and never'} answered 429); its controller allows "
        f"{probe.limit} per {probe.ttl:g} s",
    )


@check("THR-DEC-02")
def route_limit_overrides_the_controller(ctx: CheckContext) -> None:
    """Route-level override: THEN the route's own limit takes precedence, AND the other
    routes keep the controller's limit. Seen in X-RateLimit-Limit (THR-DEC-01 and
    THR-HDR-02 see the limits enforced)."""
    route = ctx.probe("throttling.limited")
    controller = ctx.probe("throttling.controller_default")
    sibling = ctx.probe("throttling.controller_sibling")
    if route.limit == controller.limit:
        raise CheckSkipped("the limited route and its controller declare the same limit")
    client = ctx.client()
    own = client.get(str(route.path))
    if own.status_code == 429 and integer(own, "x-ratelimit-limit") is None:
        wait_out(own, route, time.time())
        own = client.get(str(route.path))
    advertised = integer(own, "x-ratelimit-limit")
    expect(
        advertised == route.limit,
        "THR-DEC-02.override",
        f"{route.path} advertises X-RateLimit-Limit {advertised}; its own limit "
        f"{route.limit} should override the controller's {controller.limit}",
    )
    other = client.get(str(sibling))
    kept = integer(other, "x-ratelimit-limit")
    expect(
        kept == controller.limit,
        "THR-DEC-02.others-keep",
        f"{sibling}, a route of the same controller, advertises X-RateLimit-Limit {kept}; "
        f"the controller's limit is {controller.limit}",
    )
