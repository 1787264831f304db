"""The ``[throttling]`` config section, validated once at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

Strategy = Literal["ip", "user", "api_key", "global"]
HeaderFamily = Literal["x-ratelimit", "ietf", "both"]


class Tier(BaseModel):
    """A limit an API key tier gets: ``limit`` requests per ``ttl`` seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(ge=1)
    ttl: float = Field(gt=0)


class ApiKey(BaseModel):
    """One API key: its tier, and optionally its own limit overriding the tier's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: str = "free"
    limit: int | None = Field(default=None, ge=1)
    ttl: float | None = Field(default=None, gt=0)


def _default_tiers() -> dict[str, Tier]:
    return {
        "free": Tier(limit=5, ttl=60),
        "premium": Tier(limit=50, ttl=60),
        "enterprise": Tier(limit=500, ttl=60),
    }


class ThrottlingConfig(BaseModel):
    """Global defaults (``limit`` per ``ttl`` seconds, token bucket when ``burst`` is set),
    the storage, the key strategy, routes never limited, API keys and the header family."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    storage: Literal["memory", "redis"] = "memory"
    redis_url: str | None = None
    # a Redis that does not answer at start-up is an outage (memory until it answers);
    # with redis_optional = false the application refuses to start instead
    redis_optional: bool = True
    key_prefix: str = Field(default="ratelimit", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    max_keys: int = Field(default=100_000, ge=1)
    limit: int = Field(default=100, ge=1)
    ttl: float = Field(default=60, gt=0)
    burst: int | None = Field(default=None, ge=1)
    strategy: Strategy = "ip"
    # "all": every route gets the defaults unless it is skipped; "decorated": only routes
    # (and controllers) marked with @rate_limit are limited
    apply_to: Literal["all", "decorated"] = "all"
    skip_routes: list[str] = Field(default_factory=lambda: ["/health", "/metrics"])
    error_message: str = "Too many requests, please try again later"
    headers: HeaderFamily = "both"
    # IPv6 clients are keyed by their network of this prefix length (64: one per site)
    ipv6_prefix: int = Field(default=128, ge=1, le=128)
    tiers: dict[str, Tier] = Field(default_factory=_default_tiers)
    api_keys: dict[str, ApiKey] = Field(default_factory=dict)
    api_key_header: str = Field(default="x-api-key", pattern=r"^[A-Za-z0-9-]{1,64}$")
    # requests with no key or an unknown one count by client address at this tier's limit
    # (so leaving the key out never buys more than the smallest tier); None: the route's
    anonymous_tier: str | None = "free"
    # the user strategy: HS256 JWTs signed with this secret name their user in ``sub``
    jwt_secret: SecretStr | None = Field(default=None, min_length=32)
    anonymous_limit: int = Field(default=10, ge=1)
    anonymous_ttl: float = Field(default=60, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> ThrottlingConfig:
        if self.storage == "redis" and not self.redis_url:
            raise ValueError("redis_url is required when storage is 'redis'")
        for name, key in self.api_keys.items():
            if key.tier not in self.tiers:
                raise ValueError(f"api key {name[:4]}...: unknown tier {key.tier!r}")
        if self.anonymous_tier is not None and self.anonymous_tier not in self.tiers:
            raise ValueError(f"anonymous_tier: unknown tier {self.anonymous_tier!r}")
        for route in self.skip_routes:
            if not route.startswith("/"):
                raise ValueError(f"skip_routes: {route!r} must start with '/'")
        return self
