"""A rate-limit decision, the headers that tell the client about it, and the exception
that refuses a request (rendered as a 429 problem by the errors feature)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from apiconform.reference.errors.exceptions import TooManyRequests
from apiconform.reference.throttling.config import HeaderFamily


class Decision(NamedTuple):
    """``limit`` is the window's quota (a bucket's capacity); ``reset_ms`` the Unix time in
    ms when the window ends (the bucket is full again); ``retry_ms`` when a refused client
    is admitted again; ``now_ms`` the time of the decision."""

    allowed: bool
    limit: int
    remaining: int
    ttl: float
    reset_ms: int
    now_ms: int
    retry_ms: int
    key: str
    strategy: str

    @property
    def reset_at(self) -> int:
        """Unix seconds, rounded up: a client that waits until then is past the window."""
        return math.ceil(self.reset_ms / 1000)

    @property
    def reset_in(self) -> int:
        """Seconds until the window ends (the bucket is full), rounded up."""
        return max(0, math.ceil((self.reset_ms - self.now_ms) / 1000))

    @property
    def retry_after(self) -> int:
        """Whole seconds (>= 1), rounded up, so waiting exactly that long is enough."""
        return max(1, math.ceil((self.retry_ms - self.now_ms) / 1000))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def rate_limit_headers(decision: Decision, family: HeaderFamily) -> dict[str, str]:
    """``X-RateLimit-*`` (Reset as Unix seconds) and/or the IETF draft fields
    ``RateLimit-Policy`` and ``RateLimit`` (``t`` in delta seconds)."""
    remaining = decision.remaining if decision.allowed else 0
    headers: dict[str, str] = {}
    if family in ("x-ratelimit", "both"):
        headers["X-RateLimit-Limit"] = str(decision.limit)
        headers["X-RateLimit-Remaining"] = str(remaining)
        headers["X-RateLimit-Reset"] = str(decision.reset_at)
    if family in ("ietf", "both"):
        name = decision.strategy
        headers["RateLimit-Policy"] = f'"{name}";q={decision.limit};w={_number(decision.ttl)}'
        headers["RateLimit"] = f'"{name}";r={remaining};t={decision.reset_in}'
    return headers


class ThrottlerException(TooManyRequests):
    """A refused request: 429 with ``Retry-After``, the rate-limit headers and a problem
    body with ``retryAfter``, ``limit`` and ``ttl``. ``key`` is for the server's logs and
    handlers only; it names a client (an address, a hashed key, a user), so it is never
    part of the response."""

    slug = "rate-limited"

    def __init__(
        self,
        detail: str,
        *,
        retry_after: int,
        limit: int,
        ttl: float,
        key: str,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            detail,
            retry_after=retry_after,
            extensions={"retryAfter": retry_after, "limit": limit, "ttl": ttl},
            headers=headers,
            **kwargs,
        )
        self.limit = limit
        self.ttl = ttl
        self.key = key
