"""Applications with the observability feature, served on loopback for the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppRegistry,
    HealthResult,
    HealthStatus,
    controller,
    get,
)
from apiconform.reference.observability import Observability
from apiconform.reference.store import Store


@controller("items")
class ItemsController:
    @get("/{item_id}")
    async def one(self, item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @get("/crash/now")
    async def crash(self) -> None:
        raise RuntimeError("the item store is inconsistent")


class Switchable:
    """A health indicator a test turns up, down, slow or failing."""

    def __init__(self, name: str, *, critical: bool, timeout: float = 0.2) -> None:
        self.name = name
        self.critical = critical
        self.timeout = timeout
        self.state = "up"
        self.calls = 0

    async def check(self) -> HealthResult:
        import asyncio

        self.calls += 1
        if self.state == "slow":
            await asyncio.sleep(5)
        if self.state == "raise":
            raise ConnectionError("refused by 10.0.0.7 with password=hunter2")
        if self.state == "down":
            return HealthResult(HealthStatus.DOWN, {"error": "unreachable"})
        return HealthResult(HealthStatus.UP)


Served = Callable[..., AbstractAsyncContextManager[tuple[Application, httpx.AsyncClient]]]


@pytest.fixture
def served(registry: AppRegistry, database_config: dict[str, str]) -> Served:
    """``async with served(config=..., indicators=[...]) as (app, client)``: an app with
    observability, errors and the store, started on a free loopback port."""

    @asynccontextmanager
    async def serve(
        *,
        id: str = "obs",
        config: dict[str, Any] | None = None,
        indicators: Sequence[object] = (),
        controllers: Sequence[type[Any]] = (ItemsController,),
        errors: bool = True,
        providers: Sequence[Any] = (),
    ) -> AsyncIterator[tuple[Application, httpx.AsyncClient]]:
        features: list[Any] = [Observability(indicators=indicators)]
        if errors:
            features.append(ErrorHandling())
        features.append(Store())
        app = ApplicationFactory.create(
            id=id,
            scope="agent",
            config={"database": database_config, **(config or {})},
            controllers=controllers,
            providers=providers,
            features=features,
            registry=registry,
        )
        await app.start(port=0)
        try:
            async with httpx.AsyncClient(base_url=str(app.address), timeout=10) as client:
                yield app, client
        finally:
            await app.dispose()

    return serve
