"""``@rate_limit`` and ``@skip_rate_limit`` on controllers and routes, and the policy a
route ends up with: the config's defaults, then its controller's decorator, then its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, get_args

from starlette.requests import Request

from apiconform.errors import ConfigError
from apiconform.reference.kernel.feature import RouteDef
from apiconform.reference.throttling.config import Strategy, ThrottlingConfig

T = TypeVar("T")
KeyGenerator = Callable[[Request], str]
"""A custom key: the request in, the rate-limit key out."""

_LIMIT_ATTR = "__apiconform_rate_limit__"
_SKIP_ATTR = "__apiconform_skip_rate_limit__"


@dataclass(frozen=True)
class RateLimit:
    """What a decorator says; a field left None comes from further out."""

    limit: int | None = None
    ttl: float | None = None
    burst: int | None = None
    strategy: Strategy | None = None
    key_generator: KeyGenerator | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Policy:
    """The limit one route enforces. ``name`` labels its metrics."""

    name: str
    route: str
    limit: int
    ttl: float
    burst: int | None
    strategy: Strategy
    key_generator: KeyGenerator | None
    error_message: str
    ttl_ms: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ttl_ms", max(1, round(self.ttl * 1000)))


def _validate(
    limit: int | None, ttl: float | None, burst: int | None, strategy: str | None
) -> None:
    if limit is not None and limit < 1:
        raise ConfigError(f"rate_limit: limit must be >= 1, not {limit}")
    if ttl is not None and not ttl > 0:
        raise ConfigError(f"rate_limit: ttl must be > 0, not {ttl}")
    if burst is not None and burst < 1:
        raise ConfigError(f"rate_limit: burst must be >= 1, not {burst}")
    if strategy is not None and strategy not in get_args(Strategy):
        raise ConfigError(f"rate_limit: unknown strategy {strategy!r}")


def rate_limit(
    limit: int | None = None,
    ttl: float | None = None,
    *,
    burst: int | None = None,
    strategy: Strategy | None = None,
    key_generator: KeyGenerator | None = None,
    error_message: str | None = None,
) -> Callable[[T], T]:
    """Limit a controller's routes or one route: ``limit`` requests per ``ttl`` seconds
    per client (a fixed window), or a token bucket of ``burst`` refilled at
    ``limit / ttl`` per second. A route's decorator overrides its controller's."""
    _validate(limit, ttl, burst, strategy)
    given = RateLimit(limit, ttl, burst, strategy, key_generator, error_message)

    def mark(target: T) -> T:
        setattr(target, _LIMIT_ATTR, given)
        return target

    return mark


def skip_rate_limit(target: T) -> T:
    """Never limit this controller or route, and send no rate-limit headers."""
    setattr(target, _SKIP_ATTR, True)
    return target


def _own(target: Any, attr: str) -> Any:
    # a controller's decorator is its own, not inherited from a base controller's marks
    found = target.__dict__.get(attr) if isinstance(target, type) else getattr(target, attr, None)
    return found


def skipped_path(path: str, skip_routes: list[str]) -> bool:
    """``/health`` covers ``/health`` and everything below it, not ``/healthz``."""
    return any(path == p.rstrip("/") or path.startswith(p.rstrip("/") + "/") for p in skip_routes)


def resolve_policy(definition: RouteDef, config: ThrottlingConfig) -> Policy | None:
    """The route's policy, or None when it is not limited."""
    route_limit: RateLimit | None = _own(definition.function, _LIMIT_ATTR)
    if _own(definition.function, _SKIP_ATTR):
        return None
    controller_limit: RateLimit | None = _own(definition.controller, _LIMIT_ATTR)
    if route_limit is None and (
        _own(definition.controller, _SKIP_ATTR)
        or skipped_path(definition.path, config.skip_routes)
        or (config.apply_to == "decorated" and controller_limit is None)
    ):
        return None
    merged: dict[str, Any] = {
        "limit": config.limit,
        "ttl": config.ttl,
        "burst": config.burst,
        "strategy": config.strategy,
        "key_generator": None,
        "error_message": config.error_message,
    }
    for layer in (controller_limit, route_limit):
        if layer is not None:
            merged.update(
                {f.name: getattr(layer, f.name) for f in fields(layer) if getattr(layer, f.name)}
            )
    route = f"{definition.http_method} {definition.path}"
    return Policy(name=definition.name, route=route, **merged)
