"""Server spans, W3C trace context in and out, @trace child spans and trace ids in logs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from apiconform.reference.kernel import Application, controller, get
from apiconform.reference.observability import Telemetry, trace, traced_client
from apiconform.reference.observability.tracing import (
    TracingTransport,
    current_ids,
    extract_context,
)
from tests.conftest import LogCapture
from tests.reference.observability.conftest import Served

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


async def recorded(app: Application) -> InMemorySpanExporter:
    telemetry = await app.container.aresolve(Telemetry)
    assert telemetry.provider is not None
    exporter = InMemorySpanExporter()
    telemetry.provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def only(spans: Iterator[ReadableSpan] | tuple[ReadableSpan, ...], kind: SpanKind) -> ReadableSpan:
    [span] = [s for s in spans if s.kind is kind]
    return span


class Reserved(RuntimeError):
    pass


class Stock:
    @trace
    async def reserve(self, fail: bool) -> str:
        if fail:
            raise Reserved("out of stock")
        return "ok"

    @trace
    def count(self) -> int:
        return 4


@controller("stock")
class StockController:
    @get("/reserve")
    async def reserve(self, fail: bool = False) -> dict[str, Any]:
        return {"result": await Stock().reserve(fail), "count": Stock().count()}


async def test_a_server_span_continues_the_incoming_trace(served: Served) -> None:
    async with served() as (app, client):
        exporter = await recorded(app)
        response = await client.get("/items/7", headers={"traceparent": TRACEPARENT})
        assert response.status_code == 200
        span = only(exporter.get_finished_spans(), SpanKind.SERVER)
        assert span.name == "GET /items/{item_id}"
        assert f"{span.context.trace_id:032x}" == TRACE_ID
        assert span.parent is not None
        assert f"{span.parent.span_id:016x}" == PARENT_ID
        attributes = dict(span.attributes or {})
        assert attributes["http.request.method"] == "GET"
        assert attributes["http.route"] == "/items/{item_id}"
        assert attributes["url.path"] == "/items/7"
        assert attributes["http.response.status_code"] == 200
        assert span.end_time is not None
        assert span.start_time is not None
        assert span.end_time > span.start_time


async def test_without_or_with_a_malformed_traceparent_a_new_trace_starts(
    served: Served,
) -> None:
    async with served() as (app, client):
        exporter = await recorded(app)
        await client.get("/items/1")
        await client.get("/items/2", headers={"traceparent": "00-zz-not-valid"})
        spans = exporter.get_finished_spans()
        assert len(spans) == 2
        assert all(span.parent is None for span in spans)
        assert len({span.context.trace_id for span in spans}) == 2


async def test_a_failing_request_has_an_error_span(served: Served) -> None:
    async with served() as (app, client):
        exporter = await recorded(app)
        assert (await client.get("/items/crash/now")).status_code == 500
        span = only(exporter.get_finished_spans(), SpanKind.SERVER)
        assert span.status.status_code is StatusCode.ERROR
        assert dict(span.attributes or {})["http.response.status_code"] == 500


async def test_trace_makes_child_spans_with_class_and_function_and_records_exceptions(
    served: Served,
) -> None:
    async with served(controllers=[StockController]) as (app, client):
        exporter = await recorded(app)
        assert (await client.get("/stock/reserve")).status_code == 200
        assert (await client.get("/stock/reserve?fail=true")).status_code == 500
        spans = exporter.get_finished_spans()
        children = [s for s in spans if s.kind is SpanKind.INTERNAL]
        servers = [s for s in spans if s.kind is SpanKind.SERVER]
        assert [c.name for c in children] == ["Stock.reserve", "Stock.count", "Stock.reserve"]
        ok, count, failed = children
        assert dict(ok.attributes or {}) == {
            "code.function": "reserve",
            "code.namespace": "Stock",
        }
        assert ok.parent is not None
        assert ok.parent.span_id == servers[0].context.span_id
        assert count.parent is not None
        assert count.parent.span_id == servers[0].context.span_id
        assert failed.parent is not None
        assert failed.parent.span_id == servers[1].context.span_id
        assert failed.status.status_code is StatusCode.ERROR
        [event] = failed.events
        assert event.name == "exception"
        assert dict(event.attributes or {})["exception.type"].endswith("Reserved")


async def test_trace_outside_a_request_just_calls() -> None:
    assert await Stock().reserve(False) == "ok"
    assert Stock().count() == 4
    with pytest.raises(Reserved):
        await Stock().reserve(True)


async def test_log_lines_of_a_request_carry_its_trace_and_span_ids(
    served: Served, logs: LogCapture
) -> None:
    async with served() as (app, client):
        exporter = await recorded(app)
        await client.get("/items/3", headers={"traceparent": TRACEPARENT})
        span = only(exporter.get_finished_spans(), SpanKind.SERVER)
        [access] = logs.lines(message="request", path="/items/3")
        assert access["trace_id"] == TRACE_ID
        assert access["span_id"] == f"{span.context.span_id:016x}"
        # lines written outside the request do not carry them
        assert "trace_id" not in logs.lines(message="application started")[0]


@controller("calls")
class CallsController:
    url = ""

    @get("/out")
    async def out(self) -> dict[str, Any]:
        async with traced_client() as client:
            response = await client.get(self.url)
        return response.json()  # type: ignore[no-any-return]


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/echo"
    server.shutdown()
    server.server_close()


async def test_outbound_calls_keep_the_trace_id_with_a_new_parent(
    served: Served, echo_url: str
) -> None:
    CallsController.url = echo_url
    async with served(controllers=[CallsController]) as (app, client):
        exporter = await recorded(app)
        headers = {"traceparent": TRACEPARENT, "tracestate": "vendor=abc"}
        seen = (await client.get("/calls/out", headers=headers)).json()
        version, trace_id, parent_id, flags = seen["traceparent"].split("-")
        assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
        assert parent_id != PARENT_ID
        assert seen["tracestate"] == "vendor=abc"
        client_span = only(exporter.get_finished_spans(), SpanKind.CLIENT)
        server_span = only(exporter.get_finished_spans(), SpanKind.SERVER)
        assert f"{client_span.context.span_id:016x}" == parent_id
        assert client_span.parent is not None
        assert client_span.parent.span_id == server_span.context.span_id
        assert dict(client_span.attributes or {})["http.response.status_code"] == 200


async def test_the_transport_injects_the_current_context_without_a_tracer() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    transport = TracingTransport(httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get("http://example.test/x")).status_code == 503
    assert "traceparent" not in seen[0].headers  # no current span: nothing to propagate
    assert current_ids() is None


async def test_a_failing_outbound_call_ends_its_span_with_the_error(
    served: Served,
) -> None:
    CallsController.url = "http://127.0.0.1:1/refused"
    async with served(controllers=[CallsController]) as (app, client):
        exporter = await recorded(app)
        assert (await client.get("/calls/out")).status_code == 500
        span = only(exporter.get_finished_spans(), SpanKind.CLIENT)
        assert span.status.status_code is StatusCode.ERROR
        assert span.events[0].name == "exception"


def test_only_the_first_traceparent_is_used() -> None:
    other = "00-11111111111111111111111111111111-2222222222222222-01"
    context = extract_context(
        [(b"traceparent", TRACEPARENT.encode()), (b"traceparent", other.encode())]
    )
    from opentelemetry.trace import get_current_span

    assert f"{get_current_span(context).get_span_context().trace_id:032x}" == TRACE_ID


async def test_sampling_ratio_zero_exports_nothing_but_still_propagates(
    served: Served, echo_url: str
) -> None:
    CallsController.url = echo_url
    config = {"observability": {"tracing": {"sample_ratio": 0.0}}}
    async with served(config=config, controllers=[CallsController]) as (app, client):
        exporter = await recorded(app)
        seen = (await client.get("/calls/out")).json()
        flags = int(seen["traceparent"].rsplit("-", 1)[1], 16)
        assert flags & 1 == 0  # not sampled, still one trace
        assert exporter.get_finished_spans() == ()


async def test_tracing_can_be_switched_off(served: Served) -> None:
    config = {"observability": {"tracing": {"enabled": False}}}
    async with served(config=config) as (app, client):
        telemetry = await app.container.aresolve(Telemetry)
        assert telemetry.tracer is None
        assert (await client.get("/items/1")).status_code == 200


class Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        length = int(self.headers["content-length"])
        Collector.received.append(self.rfile.read(length))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


async def test_spans_are_exported_over_otlp_http_and_decode(served: Served) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.received.clear()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    config = {
        "observability": {
            "service": "otlp-test",
            "tracing": {"exporter": "otlp", "otlp_endpoint": endpoint},
        }
    }
    try:
        async with served(config=config) as (_, client):
            await client.get("/items/5", headers={"traceparent": TRACEPARENT})
        # disposing flushed the batch
        assert Collector.received
        request = ExportTraceServiceRequest()
        request.ParseFromString(Collector.received[0])
        [resource_spans] = request.resource_spans
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        assert resource["service.name"] == "otlp-test"
        [span] = [s for scope in resource_spans.scope_spans for s in scope.spans]
        assert span.name == "GET /items/{item_id}"
        assert span.trace_id.hex() == TRACE_ID
        assert span.parent_span_id.hex() == PARENT_ID
    finally:
        server.shutdown()
        server.server_close()


async def test_the_console_exporter_writes_one_json_span_per_line_to_stderr(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"observability": {"tracing": {"exporter": "console"}}}
    async with served(config=config) as (_, client):
        await client.get("/items/9")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    spans = [json.loads(line) for line in lines]
    assert [s["name"] for s in spans] == ["GET /items/{item_id}"]


def test_otlp_needs_an_http_endpoint() -> None:
    from pydantic import ValidationError

    from apiconform.reference.observability import TracingConfig

    with pytest.raises(ValidationError, match="otlp_endpoint is required"):
        TracingConfig(exporter="otlp")
    with pytest.raises(ValidationError, match="http"):
        TracingConfig(exporter="otlp", otlp_endpoint="file:///etc/passwd")
