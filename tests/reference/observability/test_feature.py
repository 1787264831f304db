"""The feature in the stack: its layer, its config section, non-HTTP scopes, a Redis cache
that is down, and a stop that has to cut a request."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import ValidationError

from apiconform.reference.kernel import ApplicationFactory, AppRegistry, Layer, controller, get
from apiconform.reference.kernel.stack import ordered
from apiconform.reference.observability import Observability, ObservabilityConfig, Telemetry
from apiconform.reference.observability.middleware import TelemetryMiddleware
from tests.conftest import LogCapture
from tests.reference.observability.conftest import Served


def test_the_telemetry_layer_is_outermost(registry: AppRegistry) -> None:
    from apiconform.reference.errors import ErrorHandling

    app = ApplicationFactory.create(
        id="o", scope="agent", features=[ErrorHandling(), Observability()], registry=registry
    )
    first = ordered(app.middleware)[0]
    assert (first.layer, first.name) == (Layer.TELEMETRY, "telemetry")
    assert isinstance(app.asgi, TelemetryMiddleware)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"memory_degraded_ratio": 0.96}, "below memory_down_ratio"),
        ({"ready_path": "/metrics"}, "must differ"),
        ({"shutdown_delay": -1}, "greater than or equal"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)
def test_bad_config_values_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ObservabilityConfig.model_validate(values)


def test_an_unknown_key_names_the_section(registry: AppRegistry) -> None:
    from apiconform.reference.kernel import InvalidConfig

    with pytest.raises(InvalidConfig, match=r"observability\.colour"):
        ApplicationFactory.create(
            id="o",
            scope="agent",
            config={"observability": {"colour": "red"}},
            features=[Observability()],
            registry=registry,
        )


async def test_non_http_scopes_pass_straight_through(registry: AppRegistry) -> None:
    app = ApplicationFactory.create(
        id="o", scope="agent", features=[Observability()], registry=registry
    )
    seen: list[str] = []

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(str(scope["type"]))

    telemetry = await app.container.aresolve(Telemetry)
    middleware = TelemetryMiddleware(inner, telemetry=telemetry)  # type: ignore[arg-type]
    await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    await middleware({"type": "websocket", "path": "/metrics"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan", "websocket"]


async def test_a_redis_cache_that_is_down_degrades_readiness_without_failing_it(
    served: Served,
) -> None:
    config = {"cache": {"backend": "redis", "redis_url": "redis://127.0.0.1:1/0"}}
    async with served(config=config) as (_, client):
        response = await client.get("/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["checks"]["redis"]["status"] == "down"
        assert body["degraded"] == ["redis"]


@controller("wait")
class WaitController:
    @get("")
    async def wait(self) -> dict[str, str]:
        await asyncio.sleep(30)
        return {"done": "late"}


async def test_a_stop_cuts_what_outlives_the_drain_timeout_and_says_so(
    registry: AppRegistry, logs: LogCapture
) -> None:
    app = ApplicationFactory.create(
        id="cut",
        scope="agent",
        controllers=[WaitController],
        features=[Observability()],
        registry=registry,
    )
    await app.start(port=0)
    telemetry = await app.container.aresolve(Telemetry)
    async with httpx.AsyncClient(base_url=str(app.address), timeout=10) as client:
        request = asyncio.create_task(client.get("/wait"))
        while telemetry.in_flight == 0:
            await asyncio.sleep(0.01)
        await app.stop(timeout=0.2)
        response = await request
    assert response.status_code == 500  # uvicorn's answer to a cancelled request
    assert app.requests_cut == 1
    assert telemetry.cut == 1
    [warning] = logs.lines(message="forced shutdown: requests cut after the drain timeout")
    assert warning["cut"] == 1
    assert telemetry.health.draining is True
    await app.dispose()
    await asyncio.sleep(0)  # let the cancelled handler finish
    assert telemetry.in_flight == 0
