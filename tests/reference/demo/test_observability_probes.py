"""The demo's observability probes: slow, outbound, traced, custom metrics, the switchable
indicator and the liveness breaker."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client.parser import text_string_to_metric_families

from apiconform.common.logs import configure_logging
from apiconform.reference.demo.app import create_demo_app
from apiconform.reference.kernel import Application, AppRegistry
from apiconform.reference.observability import Telemetry

OUTBOUND = "http://echo.test/downstream"


@pytest.fixture
async def demo(
    registry: AppRegistry, database_config: dict[str, str]
) -> AsyncIterator[tuple[Application, httpx.AsyncClient]]:
    app = create_demo_app(
        registry=registry,
        config={"database": database_config, "settings": {"outbound_url": OUTBOUND}},
    )
    await app.start(port=0)
    async with httpx.AsyncClient(base_url=str(app.address), timeout=10) as client:
        yield app, client
    await app.dispose()


def value(text: str, name: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise AssertionError(f"{name} not exported")


@pytest.mark.requirement("OBS-CUST-01", "OBS-CUST-02")
async def test_the_orders_probe_moves_the_custom_counter_and_histogram(
    demo: tuple[Application, httpx.AsyncClient],
) -> None:
    _, client = demo
    await client.post("/observability/orders", params={"amount": 30})
    await client.post("/observability/orders", params={"amount": 12.5})
    text = (await client.get("/metrics")).text
    assert value(text, "orders_created_total") == 2
    assert value(text, "order_amount_sum") == 42.5
    assert value(text, "order_amount_count") == 2
    assert (await client.post("/observability/orders", params={"amount": -1})).status_code == 422


@pytest.mark.requirement("OBS-IND-01", "OBS-IND-02")
async def test_the_external_api_indicator_switches(
    demo: tuple[Application, httpx.AsyncClient],
) -> None:
    _, client = demo
    ready = (await client.get("/health/ready")).json()
    assert ready["checks"]["external-api"]["status"] == "up"
    await client.put("/observability/indicator", json={"state": "down"})
    response = await client.get("/health/ready")
    assert response.status_code == 200  # not critical
    assert response.json()["checks"]["external-api"]["status"] == "down"
    await client.put("/observability/indicator", json={"state": "slow"})
    checks = (await client.get("/health/ready")).json()["checks"]
    assert checks["external-api"]["status"] == "degraded"
    assert checks["external-api"]["timeout_ms"] == 500.0
    assert (await client.put("/observability/indicator", json={"state": "?"})).status_code == 422


@pytest.mark.requirement("OBS-LIVE-02")
async def test_the_liveness_probe_route_breaks_and_heals(
    demo: tuple[Application, httpx.AsyncClient],
) -> None:
    _, client = demo
    await client.put("/observability/liveness", json={"broken": True})
    broken = await client.get("/health/live")
    assert broken.status_code == 503
    assert broken.json()["error"]
    await client.put("/observability/liveness", json={"broken": False})
    assert (await client.get("/health/live")).status_code == 200


async def test_the_slow_probe_is_capped(demo: tuple[Application, httpx.AsyncClient]) -> None:
    _, client = demo
    assert (await client.get("/observability/slow", params={"seconds": 0.01})).json() == {
        "slept": 0.01
    }
    assert (await client.get("/observability/slow", params={"seconds": 31})).status_code == 422


@pytest.mark.requirement("OBS-TRACE-02")
async def test_the_traced_probe_records_a_child_span_and_its_exception(
    demo: tuple[Application, httpx.AsyncClient],
) -> None:
    app, client = demo
    telemetry = await app.container.aresolve(Telemetry)
    assert telemetry.provider is not None
    exporter = InMemorySpanExporter()
    telemetry.provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert (await client.get("/observability/traced")).json() == {"reserved": True}
    assert (await client.get("/observability/traced", params={"fail": "true"})).status_code == 500
    children = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.INTERNAL]
    assert [c.name for c in children] == ["Inventory.reserve", "Inventory.reserve"]
    assert children[1].status.status_code is StatusCode.ERROR
    assert children[1].events[0].name == "exception"


@pytest.mark.requirement("OBS-TRACE-03")
async def test_the_outbound_probe_calls_only_the_configured_url(
    demo: tuple[Application, httpx.AsyncClient],
) -> None:
    _, client = demo
    with respx.mock(assert_all_mocked=False) as mock:
        mock.route(host="127.0.0.1").pass_through()
        downstream = mock.get(OUTBOUND).respond(204)
        traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        answer = await client.get(
            "/observability/outbound?url=http://evil.test/",
            headers={"traceparent": traceparent},
        )
        assert answer.json() == {"status": 204}
        sent = downstream.calls.last.request.headers["traceparent"]
        assert sent.split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
        mock.get(OUTBOUND).mock(side_effect=httpx.ConnectError("refused"))
        assert (await client.get("/observability/outbound")).status_code == 503


async def test_without_an_outbound_url_the_probe_is_404(
    registry: AppRegistry, database_config: dict[str, str]
) -> None:
    app = create_demo_app(registry=registry, config={"database": database_config})
    transport = httpx.ASGITransport(app.asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/observability/outbound")).status_code == 404
    await app.dispose()


@pytest.mark.requirement("OBS-LOG-01", "OBS-LOG-02")
async def test_the_log_probe_writes_its_fields_from_the_handler_and_from_async_work(
    demo: tuple[Application, httpx.AsyncClient],
) -> None:
    _, client = demo
    sink = io.StringIO()
    setup = configure_logging("json", stream=sink, level="INFO")
    try:
        body = {"message": "probe-message", "fields": {"order_ref": "o-17"}}
        response = await client.post(
            "/observability/log", json=body, headers={"X-Correlation-ID": "corr-probe-1"}
        )
    finally:
        setup.restore()
    assert response.status_code == 200
    lines = [json.loads(x) for x in sink.getvalue().splitlines() if "probe-message" in x]
    assert sorted(line["origin"] for line in lines) == ["handler", "task"]
    for line in lines:
        assert line["order_ref"] == "o-17"
        assert line["correlation_id"] == "corr-probe-1"
        assert line["level"] == "info"


@pytest.mark.parametrize(
    "fields",
    [
        {"level": "error"},  # the pipeline's own field
        {"correlation_id": "forged"},
        {"Order": "x"},  # not snake case
        {"order ref": "x"},
        {"x" * 41: "x"},
        {"order_ref": "x" * 201},
        {f"f{i}": "x" for i in range(9)},
    ],
)
async def test_the_log_probe_refuses_fields_that_would_forge_a_line(
    demo: tuple[Application, httpx.AsyncClient], fields: dict[str, str]
) -> None:
    _, client = demo
    body = {"message": "probe", "fields": fields}
    response = await client.post("/observability/log", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_log_probe_refuses_a_message_with_control_characters(
    demo: tuple[Application, httpx.AsyncClient],
) -> None:
    _, client = demo
    for message in ("", "two\nlines", "x" * 201):
        response = await client.post("/observability/log", json={"message": message})
        assert response.status_code == 422, message
