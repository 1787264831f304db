"""Fixtures of the throttler's tests: a clock the test advances, and the storages (one
behaviour suite runs on memory and on Redis: real at ``REDIS_URL``, else fakeredis)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from apiconform.mocks.redis import redis_client
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import Application, ApplicationFactory, AppRegistry
from apiconform.reference.throttling import MemoryStorage, ThrottlerStorage, Throttling
from apiconform.reference.throttling.redis_storage import RedisStorage

START = 1_800_000_000.25  # a Unix time with a fraction, so rounding shows


class FakeClock:
    """Unix seconds that move only when the test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis"])
async def storage(request: pytest.FixtureRequest) -> AsyncIterator[ThrottlerStorage]:
    if request.param == "memory":
        yield MemoryStorage()
        return
    async with redis_client() as handle:
        yield RedisStorage(handle.client, prefix=handle.prefix.rstrip(":"))


Build = Callable[..., Application]


@pytest.fixture
def build(registry: AppRegistry, clock: FakeClock) -> Callable[..., Application]:
    """An application with error handling and throttling on ``clock``."""

    def make(
        controllers: list[type[Any]],
        config: dict[str, Any] | None = None,
        **options: Any,
    ) -> Application:
        options.setdefault("clock", clock)
        return ApplicationFactory.create(
            id="t",
            scope="agent",
            config={"throttling": config or {}},
            controllers=controllers,
            features=[ErrorHandling(), Throttling(**options)],
            registry=registry,
        )

    return make


def client(app: Application, address: str = "203.0.113.7") -> httpx.AsyncClient:
    """A client whose requests come from ``address``."""
    transport = httpx.ASGITransport(app.asgi, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://t")
