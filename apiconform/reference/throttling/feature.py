"""Throttling as a feature of the kernel (the enhance-throttler proposal).

Each limited route gets a guard, built once from its policy (config defaults, then its
controller's ``@rate_limit``, then its own); the guard counts the request, refuses it with
:class:`ThrottlerException` past the limit, and otherwise leaves the rate-limit headers for
the guards-layer middleware. The storage is memory, or Redis with memory behind it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from apiconform.common.logs import get_logger
from apiconform.errors import ConfigError
from apiconform.reference.kernel.feature import Contribution, Guard, Layer, Middleware, RouteDef
from apiconform.reference.kernel.providers import Provider
from apiconform.reference.throttling.config import ThrottlingConfig
from apiconform.reference.throttling.decision import (
    Decision,
    ThrottlerException,
    rate_limit_headers,
)
from apiconform.reference.throttling.fallback import FallbackStorage
from apiconform.reference.throttling.health import StorageIndicator
from apiconform.reference.throttling.keys import Keys, UserResolver
from apiconform.reference.throttling.middleware import HEADERS_KEY, RateLimitHeadersMiddleware
from apiconform.reference.throttling.policy import Policy, resolve_policy
from apiconform.reference.throttling.storage import MemoryStorage, ThrottlerStorage
from apiconform.reference.throttling.throttler import Clock, Throttler

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application

_log = get_logger("apiconform.throttling")


class ViolationLog:
    """Logs refused requests, at most ``per_second`` lines a second (a flood of refusals
    must not become a flood of log lines); the next line says how many were left out."""

    def __init__(self, clock: Clock, per_second: int = 10) -> None:
        self.clock = clock
        self.per_second = per_second
        self._second = -1
        self._count = 0
        self.suppressed = 0

    def __call__(self, policy: Policy, decision: Decision) -> None:
        second = int(self.clock())
        if second != self._second:
            self._second, self._count = second, 0
        self._count += 1
        if self._count > self.per_second:
            self.suppressed += 1
            return
        suppressed, self.suppressed = self.suppressed, 0
        _log.warning(
            "rate limit exceeded",
            route=policy.route,
            key=decision.key,
            limit=decision.limit,
            ttl=decision.ttl,
            retry_after=decision.retry_after,
            **({"suppressed": suppressed} if suppressed else {}),
        )


def build_storage(config: ThrottlingConfig, clock: Clock) -> ThrottlerStorage:
    memory = MemoryStorage(config.max_keys)
    if config.storage == "memory" or config.redis_url is None:
        return memory
    from apiconform.reference.throttling.redis_storage import RedisStorage, connect

    redis = RedisStorage(connect(config.redis_url), prefix=config.key_prefix)
    return FallbackStorage(redis, memory, clock_ms=lambda: int(clock() * 1000))


class Throttling:
    """``Throttling(clock=..., storage=..., users=..., **defaults)``: ``defaults`` are
    values of the ``[throttling]`` section that apply when the config does not set them
    (the demo's API keys, say); ``users`` names the user of a request for the ``user``
    strategy (by default the ``sub`` of a JWT signed with ``jwt_secret``)."""

    name = "throttling"
    config_model = ThrottlingConfig

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        storage: ThrottlerStorage | None = None,
        users: UserResolver | None = None,
        **defaults: Any,
    ) -> None:
        self.clock = clock
        self.storage = storage
        self.users = users
        self.defaults = defaults

    def effective(self, config: ThrottlingConfig) -> ThrottlingConfig:
        unset = {k: v for k, v in self.defaults.items() if k not in config.model_fields_set}
        data = {**config.model_dump(exclude_unset=True), **unset}
        if config.jwt_secret is not None:
            data["jwt_secret"] = config.jwt_secret.get_secret_value()
        return ThrottlingConfig.model_validate(data)

    def setup(self, app: Application, config: ThrottlingConfig) -> Contribution:
        config = self.effective(config)
        if not config.enabled:
            return Contribution()
        storage = self.storage or build_storage(config, self.clock)
        throttler = Throttler(storage, clock=self.clock)
        keys = Keys(config, self.users)
        violations = ViolationLog(self.clock)

        def guard_for(definition: RouteDef) -> Guard | None:
            policy = resolve_policy(definition, config)
            if policy is None:
                return None
            return _guard(policy, throttler, keys, violations, config)

        async def check_storage(app: Application) -> None:
            if not isinstance(storage, FallbackStorage):
                return
            try:
                await storage.primary.ping()
            except storage.errors as exc:
                if not config.redis_optional:
                    raise ConfigError(
                        f"app {app.id!r}: throttling.redis_url: Redis does not answer "
                        f"({type(exc).__name__}) and redis_optional is false"
                    ) from None
                storage.fail(exc)

        async def close(app: Application) -> None:
            await storage.aclose()

        return Contribution(
            providers=[Provider(Throttler, value=throttler)],
            middleware=[Middleware(Layer.GUARDS, RateLimitHeadersMiddleware, "rate-limit headers")],
            guards=[guard_for],
            health_indicators=[StorageIndicator(storage)],
            metrics=[throttler],
            on_start=[check_storage],
            on_dispose=[close],
        )


def _guard(
    policy: Policy,
    throttler: Throttler,
    keys: Keys,
    violations: Callable[[Policy, Decision], None],
    config: ThrottlingConfig,
) -> Guard:
    family = config.headers

    async def guard(request: Request) -> None:
        decision = await throttler.hit(policy, keys.subject(policy, request))
        headers = rate_limit_headers(decision, family)
        if not decision.allowed:
            violations(policy, decision)
            raise ThrottlerException(
                policy.error_message,
                retry_after=decision.retry_after,
                limit=decision.limit,
                ttl=decision.ttl,
                key=decision.key,
                headers=headers,
            )
        request.scope[HEADERS_KEY] = [
            (name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()
        ]

    return guard
