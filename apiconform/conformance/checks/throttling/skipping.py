"""A route marked to skip rate limiting (THR-DEC-03)."""

from __future__ import annotations

from apiconform.conformance.checks.throttling.limits import rate_limit_headers
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import CheckSkipped, check, expect


@check("THR-DEC-03")
def skipped_route_is_never_limited(ctx: CheckContext) -> None:
    """Skip rate limiting: THEN no rate limiting is applied to the route, AND rate-limit
    headers are not included. Sent well past the limited route's limit, in a burst."""
    path = ctx.probe("throttling.unlimited")
    limited = ctx.manifest.throttling.limited
    count = min(2 * (limited.limit if limited else 10) + 2, 60)
    client = ctx.client()
    responses = [client.get(str(path)) for _ in range(count)]
    if responses[0].status_code >= 300:
        raise CheckSkipped(
            f"the unlimited probe {client.base_url}{path} answered "
            f"{responses[0].status_code}, not 2xx"
        )
    statuses = [r.status_code for r in responses]
    expect(
        429 not in statuses,
        "THR-DEC-03.never-limited",
        f"{count} requests to the skipped route {path}: answered {statuses.count(429)} times 429",
    )
    carried = sorted({name for r in responses for name in rate_limit_headers(r)})
    expect(
        not carried,
        "THR-DEC-03.no-headers",
        f"the skipped route {path} sends rate-limit headers: {', '.join(carried)}",
    )
