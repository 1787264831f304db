"""The throttler service: a policy, a subject and the clock in, a :class:`Decision` out;
counts what it decides for the metrics endpoint."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable

from apiconform.reference.kernel.health import MetricSample
from apiconform.reference.throttling.decision import Decision
from apiconform.reference.throttling.fallback import FallbackStorage
from apiconform.reference.throttling.keys import Subject
from apiconform.reference.throttling.policy import Policy
from apiconform.reference.throttling.storage import MemoryStorage, ThrottlerStorage

# the hot path builds the tuple without NamedTuple's keyword-handling __new__
_new_decision = tuple.__new__

Clock = Callable[[], float]
"""Unix time in seconds (``time.time``); tests inject one they advance."""


class Throttler:
    """Decides with ``storage`` on ``clock``'s time."""

    def __init__(self, storage: ThrottlerStorage, *, clock: Clock = time.time) -> None:
        self.storage = storage
        self.clock = clock
        self.decisions: Counter[tuple[str, str]] = Counter()
        # memory decides without awaiting: skip the coroutine on the hot path
        self._increment_now = storage.increment_now if isinstance(storage, MemoryStorage) else None

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def hit(self, policy: Policy, subject: Subject) -> Decision:
        """Count one request of ``subject`` under ``policy`` (the subject's own limit,
        an API key tier's say, replaces the policy's)."""
        limit = subject.limit or policy.limit
        ttl = subject.ttl or policy.ttl
        now = self.now_ms()
        if policy.burst is not None:
            interval = max(1, -(-round(ttl * 1000) // limit))
            bucket = await self.storage.take(subject.key, interval, policy.burst, now)
            tokens = (now + policy.burst * interval - bucket.tat_ms) // interval
            decision = Decision(
                allowed=bucket.allowed,
                limit=policy.burst,
                remaining=max(0, tokens),
                ttl=ttl,
                reset_ms=bucket.tat_ms,
                now_ms=now,
                retry_ms=bucket.retry_at_ms,
                key=subject.key,
                strategy=policy.strategy,
            )
        else:
            ttl_ms = policy.ttl_ms if subject.ttl is None else max(1, round(ttl * 1000))
            if self._increment_now is not None:
                count, end = self._increment_now(subject.key, ttl_ms, now)
            else:
                count, end = await self.storage.increment(subject.key, ttl_ms, now)
            allowed = count <= limit
            decision = _new_decision(
                Decision,
                (allowed, limit, max(0, limit - count), ttl, end, now, end, subject.key,
                 policy.strategy),
            )  # fmt: skip
            self.decisions[policy.name, "allowed" if allowed else "limited"] += 1
            return decision
        self.decisions[policy.name, "allowed" if decision.allowed else "limited"] += 1
        return decision

    def samples(self) -> Iterable[MetricSample]:
        for (policy, outcome), count in sorted(self.decisions.items()):
            yield MetricSample(
                "ratelimit_requests_total",
                "counter",
                "Rate-limit decisions by policy and decision",
                count,
                {"policy": policy, "decision": outcome},
            )
        fallback = isinstance(self.storage, FallbackStorage) and self.storage.degraded
        yield MetricSample(
            "ratelimit_storage_fallback",
            "gauge",
            "1 while the shared rate-limit storage is unreachable and limits are per instance",
            1.0 if fallback else 0.0,
        )
