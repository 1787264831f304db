"""Reading a target's rate-limit answers: header values as numbers, and waiting a window
out the way a client would (by the target's own Retry-After, bounded by the declared TTL)."""

from __future__ import annotations

import math
import re
import time

import httpx

from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.manifest import LimitedProbe, WindowProbe
from apiconform.conformance.registry import CheckSkipped

RATE_LIMIT_HEADER = re.compile(r"^(x-)?rate-?limit", re.IGNORECASE)


def integer(response: httpx.Response, name: str) -> int | None:
    """The header ``name`` as a whole number, or None when absent or not one."""
    value = response.headers.get(name, "").strip()
    return int(value) if re.fullmatch(r"-?\d{1,15}", value) else None


def retry_after(response: httpx.Response) -> int | None:
    """Retry-After in delta-seconds (the spec says seconds), or None."""
    return integer(response, "retry-after")


def rate_limit_headers(response: httpx.Response) -> list[str]:
    """The names of the rate-limit headers a response carries (any spelling)."""
    return [name for name in response.headers if RATE_LIMIT_HEADER.match(name)]


def wait_out(response: httpx.Response, probe: LimitedProbe | WindowProbe, received: float) -> None:
    """Sleep until the refused ``response`` said to come back (at most the TTL)."""
    delay = retry_after(response)
    bound = math.ceil(probe.ttl) + 1
    delay = bound if delay is None or delay < 1 else min(delay, bound)
    time.sleep(max(0.0, received + delay - time.time()))


def admitted(
    client: TargetClient, probe: LimitedProbe | WindowProbe
) -> tuple[httpx.Response, float]:
    """One admitted answer of the limited route with at least one request left in its
    window, waiting out windows used up before (by other checks); skips when the route
    does not answer 2xx at all."""
    deadline = time.time() + 4 * (probe.ttl + 1)
    while True:
        response = client.get(str(probe.path))
        received = time.time()
        if response.status_code == 429 and received < deadline:
            wait_out(response, probe, received)
            continue
        if not 200 <= response.status_code < 300:
            raise CheckSkipped(
                f"the limited probe {client.base_url}{probe.path} answered "
                f"{response.status_code}, not 2xx"
            )
        if integer(response, "x-ratelimit-remaining") == 0 and received < deadline:
            reset = integer(response, "x-ratelimit-reset") or 0
            time.sleep(min(max(0.0, reset - time.time()), probe.ttl + 1) + 0.05)
            continue
        return response, received


def burst(
    client: TargetClient, path: str, count: int, headers: dict[str, str] | None = None
) -> list[int]:
    """The statuses of ``count`` requests at once; once more when the last was admitted
    (the burst may have straddled the end of a window)."""
    for _ in range(2):
        statuses = [client.get(path, headers=headers).status_code for _ in range(count)]
        if statuses[-1] == 429:
            break
    return statuses
