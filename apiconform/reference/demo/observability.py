"""The demo's observability probes: a slow route (drain tests), an outbound call to the
configured URL (trace propagation), a traced service that can raise (child spans), custom
metrics moved by known amounts, a switchable custom health indicator, a liveness
breaker, and a log probe whose lines carry custom fields from the handler and from async
work it starts."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import Body, Query
from pydantic import BaseModel, Field, field_validator

from apiconform.common.logs import get_logger
from apiconform.reference.errors import exceptions as exc
from apiconform.reference.kernel import (
    AppConfig,
    HealthResult,
    HealthStatus,
    controller,
    get,
    post,
    put,
    service,
)
from apiconform.reference.observability import (
    AppMetrics,
    Telemetry,
    health_indicator,
    trace,
    traced_client,
)

MAX_SLOW_SECONDS = 30.0
# fields the log pipeline writes itself: a request may not set them
RESERVED_LOG_FIELDS = frozenset(
    {
        "timestamp",
        "level",
        "message",
        "event",
        "logger",
        "app_id",
        "scope_id",
        "correlation_id",
        "trace_id",
        "span_id",
        "origin",
        "exception",
    }
)


@service(lifetime="singleton")
class ExternalApiSwitch:
    """What the demo's ``external-api`` indicator reports: up, down or slow (it then
    outlives its timeout)."""

    def __init__(self) -> None:
        self.state: Literal["up", "down", "slow"] = "up"


@health_indicator("external-api", critical=False, timeout=0.5)
class ExternalApiIndicator:
    def __init__(self, switch: ExternalApiSwitch) -> None:
        self.switch = switch

    async def check(self) -> HealthResult:
        if self.switch.state == "slow":
            await asyncio.sleep(5)
        if self.switch.state == "down":
            return HealthResult(HealthStatus.DOWN, {"error": "external API unreachable"})
        return HealthResult(HealthStatus.UP)


class InventoryError(RuntimeError):
    pass


@service(lifetime="singleton")
class Inventory:
    """A traced service: each call is a child span; a failing call records its exception."""

    @trace
    async def reserve(self, fail: bool) -> dict[str, Any]:
        if fail:
            raise InventoryError("inventory unavailable")
        return {"reserved": True}


class SwitchState(BaseModel):
    state: Literal["up", "down", "slow"]


class LivenessState(BaseModel):
    broken: bool


class LoggedLine(BaseModel):
    """What the log probe writes: a message and up to eight custom fields (names in
    snake case, none of the pipeline's own)."""

    message: str = Field(min_length=1, max_length=200, pattern=r"^[\x20-\x7e]+$")
    fields: dict[str, str] = Field(default_factory=dict, max_length=8)

    @field_validator("fields")
    @classmethod
    def _field_names(cls, fields: dict[str, str]) -> dict[str, str]:
        for name, value in fields.items():
            if not (1 <= len(name) <= 40 and name.isascii() and name.isidentifier()):
                raise ValueError(f"a field name is 1-40 ASCII letters, digits or _: {name!r}")
            if name != name.lower() or name in RESERVED_LOG_FIELDS:
                raise ValueError(f"{name!r} is not a custom field name")
            if len(value) > 200:
                raise ValueError(f"the value of {name!r} is longer than 200 characters")
        return fields


@controller("observability")
class ObservabilityController:
    def __init__(
        self,
        config: AppConfig,
        metrics: AppMetrics,
        telemetry: Telemetry,
        switch: ExternalApiSwitch,
        inventory: Inventory,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.telemetry = telemetry
        self.switch = switch
        self.inventory = inventory

    @get("/slow")
    async def slow(
        self, seconds: Annotated[float, Query(ge=0, le=MAX_SLOW_SECONDS)] = 1.0
    ) -> dict[str, float]:
        """Answers after ``seconds`` (at most 30): a request to keep in flight."""
        await asyncio.sleep(seconds)
        return {"slept": seconds}

    @get("/outbound")
    async def outbound(self) -> dict[str, Any]:
        """One call to ``settings.outbound_url`` from the config (never a URL from the
        request), carrying the current trace context."""
        url = self.config.settings.get("outbound_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise exc.NotFound("no outbound URL is configured")
        async with traced_client(timeout=5.0) as client:
            try:
                response = await client.get(url)
            except Exception as error:
                raise exc.ServiceUnavailable("the outbound call failed") from error
        return {"status": response.status_code}

    @get("/traced")
    async def traced(self, fail: bool = False) -> dict[str, Any]:
        """Calls a traced service method; ``fail=true`` makes it raise (a 500)."""
        return await self.inventory.reserve(fail)

    @post("/orders")
    async def orders(
        self, amount: Annotated[float, Query(ge=0, le=1_000_000)] = 1.0
    ) -> dict[str, float]:
        """Adds one to ``orders_created_total`` and ``amount`` to ``order_amount``."""
        self.metrics.counter("orders_created_total", "Orders created", ["channel"]).labels(
            "api"
        ).inc()
        self.metrics.histogram(
            "order_amount", "Order amounts", buckets=(1, 10, 100, 1000, 10000)
        ).observe(amount)
        return {"amount": amount}

    @post("/log")
    async def log(self, line: Annotated[LoggedLine, Body()]) -> dict[str, int]:
        """Logs ``message`` with the custom ``fields`` at info level from the handler and
        from async work it starts (awaited before the answer)."""
        logger = get_logger("apiconform.demo.orders")
        logger.info(line.message, origin="handler", **line.fields)

        async def background() -> None:
            await asyncio.sleep(0)
            logger.info(line.message, origin="task", **line.fields)

        await asyncio.create_task(background())
        return {"lines": 2}

    @put("/indicator")
    async def indicator(self, state: SwitchState) -> dict[str, str]:
        self.switch.state = state.state
        return {"state": self.switch.state}

    @put("/liveness")
    async def liveness(self, state: LivenessState) -> dict[str, bool]:
        """Marks the application broken (a fatal-error hook would) or clears it."""
        if state.broken:
            self.telemetry.health.liveness.mark_broken("marked broken through the probe route")
        else:
            self.telemetry.health.liveness.clear()
        return {"broken": state.broken}


OBSERVABILITY_PROVIDERS = [ExternalApiSwitch, Inventory]
