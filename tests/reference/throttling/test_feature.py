"""The feature's config, policies, exception, metrics and violation log."""

from __future__ import annotations

import pytest

from apiconform.errors import ConfigError
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.errors.exceptions import TooManyRequests
from apiconform.reference.kernel import (
    ApplicationFactory,
    AppRegistry,
    Feature,
    InvalidConfig,
    RouteDef,
    controller,
    get,
)
from apiconform.reference.throttling import (
    ThrottlerException,
    Throttling,
    ThrottlingConfig,
    rate_limit,
    skip_rate_limit,
)
from apiconform.reference.throttling.decision import Decision
from apiconform.reference.throttling.feature import ViolationLog
from apiconform.reference.throttling.policy import Policy, resolve_policy, skipped_path
from apiconform.reference.throttling.throttler import Throttler

from .conftest import Build, FakeClock, client


@controller("c")
@rate_limit(50, 30, strategy="global")
class Decorated:
    @get("/a")
    @rate_limit(5)
    async def a(self) -> None: ...

    @get("/b")
    async def b(self) -> None: ...

    @get("/skip")
    @skip_rate_limit
    async def skip(self) -> None: ...


@controller("s")
@skip_rate_limit
class SkippedController:
    @get("/a")
    async def a(self) -> None: ...

    @get("/b")
    @rate_limit(2, 1)
    async def b(self) -> None: ...


def route(cls: type, name: str, path: str) -> RouteDef:
    return RouteDef(cls, getattr(cls, name), "GET", path)


def test_the_defaults_are_100_per_60_seconds_by_address_skipping_health_and_metrics() -> None:
    config = ThrottlingConfig()
    assert (config.limit, config.ttl, config.burst, config.strategy) == (100, 60, None, "ip")
    assert (config.storage, config.headers, config.enabled) == ("memory", "both", True)
    assert config.skip_routes == ["/health", "/metrics"]
    assert config.error_message == "Too many requests, please try again later"
    assert {n: (t.limit, t.ttl) for n, t in config.tiers.items()} == {
        "free": (5, 60),
        "premium": (50, 60),
        "enterprise": (500, 60),
    }


def test_a_route_inherits_its_controller_and_overrides_field_by_field() -> None:
    config = ThrottlingConfig()
    a = resolve_policy(route(Decorated, "a", "/c/a"), config)
    assert a is not None
    assert (a.limit, a.ttl, a.strategy, a.name) == (5, 30, "global", "Decorated.a")
    b = resolve_policy(route(Decorated, "b", "/c/b"), config)
    assert b is not None
    assert (b.limit, b.ttl) == (50, 30)
    assert resolve_policy(route(Decorated, "skip", "/c/skip"), config) is None
    assert resolve_policy(route(SkippedController, "a", "/s/a"), config) is None
    own = resolve_policy(route(SkippedController, "b", "/s/b"), config)
    assert own is not None
    assert (own.limit, own.ttl) == (2, 1)


@pytest.mark.parametrize(
    ("path", "skipped"),
    [
        ("/health", True),
        ("/health/live", True),
        ("/health/ready", True),
        ("/healthz", False),
        ("/metrics", True),
        ("/metricsx", False),
        ("/v1/health", False),
    ],
)
def test_a_skip_route_covers_its_path_and_below(path: str, skipped: bool) -> None:
    assert skipped_path(path, ["/health", "/metrics/"]) is skipped


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be >= 1"),
        ({"ttl": 0}, "ttl must be > 0"),
        ({"ttl": -1}, "ttl must be > 0"),
        ({"burst": 0}, "burst must be >= 1"),
        ({"strategy": "cookie"}, "unknown strategy 'cookie'"),
    ],
)
def test_a_bad_decorator_fails_when_the_module_loads(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rate_limit(**kwargs)


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"limit": -1}, "throttling.limit"),
        ({"ttl": 0}, "throttling.ttl"),
        ({"burst": 0}, "throttling.burst"),
        ({"strategy": "cookie"}, "throttling.strategy"),
        ({"storage": "memcached"}, "throttling.storage"),
        ({"storage": "redis"}, "redis_url is required"),
        ({"api_keys": {"k": {"tier": "gold"}}}, "unknown tier 'gold'"),
        ({"anonymous_tier": "gold"}, "anonymous_tier: unknown tier"),
        ({"skip_routes": ["health"]}, "must start with '/'"),
        ({"jwt_secret": "short"}, "throttling.jwt_secret"),
        ({"colour": "red"}, "throttling.colour"),
    ],
)
def test_a_bad_config_fails_at_start_naming_the_field(
    registry: AppRegistry, section: dict, field: str
) -> None:
    with pytest.raises(InvalidConfig, match=field):
        ApplicationFactory.create(
            id="bad",
            scope="agent",
            config={"throttling": section},
            features=[ErrorHandling(), Throttling()],
            registry=registry,
        )


def test_constructor_defaults_apply_where_the_config_is_silent() -> None:
    feature = Throttling(limit=7, api_keys={"k": {"tier": "premium"}}, jwt_secret="s" * 32)
    assert isinstance(feature, Feature)
    merged = feature.effective(ThrottlingConfig(limit=3, jwt_secret="t" * 32))
    assert merged.limit == 3
    assert merged.api_keys["k"].tier == "premium"
    assert merged.jwt_secret is not None
    assert merged.jwt_secret.get_secret_value() == "t" * 32


async def test_a_disabled_throttler_contributes_nothing(build: Build) -> None:
    app = build([Decorated], {"enabled": False})
    async with client(app) as http:
        for _ in range(10):
            response = await http.get("/c/a")
            assert response.status_code == 200
            assert "x-ratelimit-limit" not in response.headers
    assert app.health_indicators == []


async def test_decisions_are_counted_per_policy_and_the_service_is_injectable(
    build: Build,
) -> None:
    app = build([Decorated])
    async with client(app) as http:
        for _ in range(6):
            await http.get("/c/a")
    [source] = app.metrics_sources
    samples = [(s.name, dict(s.labels), s.value) for s in source.samples()]
    assert ("ratelimit_requests_total", {"policy": "Decorated.a", "decision": "allowed"}, 5) in (
        samples
    )
    assert ("ratelimit_requests_total", {"policy": "Decorated.a", "decision": "limited"}, 1) in (
        samples
    )
    assert ("ratelimit_storage_fallback", {}, 0.0) in samples
    assert isinstance(await app.container.aresolve(Throttler), Throttler)


@pytest.mark.requirement("THR-EXC-01")
def test_the_exception_carries_retry_after_limit_ttl_and_key() -> None:
    exc = ThrottlerException("slow down", retry_after=3, limit=5, ttl=10, key="GET /x|ip:192.0.2.1")
    assert isinstance(exc, TooManyRequests)
    assert (exc.retry_after, exc.limit, exc.ttl, exc.key) == (3, 5, 10, "GET /x|ip:192.0.2.1")
    assert exc.status_code == 429
    assert exc.headers["Retry-After"] == "3"
    assert exc.extensions == {"retryAfter": 3, "limit": 5, "ttl": 10}
    assert "192.0.2.1" not in str(exc.extensions)


def test_violations_are_logged_at_most_n_a_second(clock: FakeClock, logs: object) -> None:
    log = ViolationLog(clock, per_second=2)
    policy = Policy("P.r", "GET /r", 1, 60, None, "ip", None, "no")
    decision = Decision(False, 1, 0, 60, 0, 0, 1000, "k", "ip")
    for _ in range(5):
        log(policy, decision)
    clock.advance(1)
    log(policy, decision)
    lines = logs.lines(message="rate limit exceeded")  # type: ignore[attr-defined]
    assert len(lines) == 3
    assert lines[-1]["suppressed"] == 3
    assert (lines[0]["key"], lines[0]["limit"], lines[0]["ttl"]) == ("k", 1, 60)


def test_decision_arithmetic_rounds_towards_honesty() -> None:
    d = Decision(
        False, 5, 0, 2.5, reset_ms=10_001, now_ms=9_000, retry_ms=9_001, key="k", strategy="ip"
    )
    assert (d.reset_at, d.reset_in, d.retry_after) == (11, 2, 1)
