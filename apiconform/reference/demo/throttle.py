"""The throttler's probe routes (``/v1/...``), their API keys and user tokens.

The demo limits only these routes (``apply_to = "decorated"``), so the other proposals'
probes and load scenarios are not throttled. The controller's ``@rate_limit()`` takes the
config's defaults (100 per 60 s by client address); routes override it.
"""

from __future__ import annotations

from typing import Any

from apiconform.reference.kernel import controller, get
from apiconform.reference.throttling import Throttling, rate_limit, skip_rate_limit

# documented test credentials of the demo (README, "Throttling"); not for real deployments
DEMO_API_KEYS: dict[str, dict[str, Any]] = {
    "demo-free-key": {"tier": "free"},
    "demo-free-key-2": {"tier": "free"},
    "demo-premium-key": {"tier": "premium"},
    "demo-override-key": {"tier": "free", "limit": 7},
}
DEMO_JWT_SECRET = "demo-throttling-secret-not-for-production"  # noqa: S105


def demo_throttling() -> Throttling:
    return Throttling(apply_to="decorated", api_keys=DEMO_API_KEYS, jwt_secret=DEMO_JWT_SECRET)


@controller("v1", tags=["throttling"])
@rate_limit()
class ThrottleController:
    @get("/limited")
    @rate_limit(5, 10)
    async def limited(self) -> dict[str, str]:
        """5 requests per 10 s per client address."""
        return {"route": "limited"}

    @get("/unlimited")
    @skip_rate_limit
    async def unlimited(self) -> dict[str, str]:
        """Never limited, no rate-limit headers."""
        return {"route": "unlimited"}

    @get("/burst")
    @rate_limit(1, 1, burst=10)
    async def burst(self) -> dict[str, str]:
        """A token bucket: 10 at once, then 1 per second."""
        return {"route": "burst"}

    @get("/keyed")
    @rate_limit(strategy="api_key")
    async def keyed(self) -> dict[str, str]:
        """Per X-API-Key: free 5/min, premium 50/min, demo-override-key 7/min."""
        return {"route": "keyed"}

    @get("/user")
    @rate_limit(20, 60, strategy="user")
    async def user(self) -> dict[str, str]:
        """Per user (JWT ``sub``): 20/min; anonymous requests 10/min per address."""
        return {"route": "user"}

    @get("/second")
    @rate_limit(3, 1)
    async def second(self) -> dict[str, str]:
        """3 per second."""
        return {"route": "second"}

    @get("/minute")
    @rate_limit(5, 60)
    async def minute(self) -> dict[str, str]:
        """5 a minute."""
        return {"route": "minute"}

    @get("/hourly")
    @rate_limit(1000, 3600)
    async def hourly(self) -> dict[str, str]:
        """A quota: 1000 per hour."""
        return {"route": "hourly"}

    @get("/default")
    async def default(self) -> dict[str, str]:
        """The controller's default: the config's 100 per 60 s."""
        return {"route": "default"}

    @get("/sibling")
    async def sibling(self) -> dict[str, str]:
        """Another route on the controller's default, counted apart from /v1/default."""
        return {"route": "sibling"}
