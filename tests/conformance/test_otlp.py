"""Reading OTLP/HTTP span exports: protobuf and JSON, compressed or not; what cannot be
read is an OtlpError naming why; the echo server answers exports as a collector would."""

from __future__ import annotations

import gzip
import json
import time
import zlib

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PbSpan

from apiconform.conformance import otlp
from apiconform.conformance.echo import EchoRequest, EchoServer

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"
PARENT = "00f067aa0ba902b7"


def protobuf_export() -> bytes:
    span = PbSpan(
        trace_id=bytes.fromhex(TRACE),
        span_id=bytes.fromhex(SPAN),
        parent_span_id=bytes.fromhex(PARENT),
        name="GET /users/{id}",
        kind=PbSpan.SPAN_KIND_SERVER,
        start_time_unix_nano=1_000,
        end_time_unix_nano=5_000,
        attributes=[
            KeyValue(key="http.request.method", value=AnyValue(string_value="GET")),
            KeyValue(key="http.response.status_code", value=AnyValue(int_value=404)),
            KeyValue(key="sampled", value=AnyValue(bool_value=True)),
            KeyValue(key="ratio", value=AnyValue(double_value=0.5)),
            KeyValue(key="empty", value=AnyValue()),
        ],
    )
    array = AnyValue()
    array.array_value.values.add(string_value="a")
    span.attributes.append(KeyValue(key="list", value=array))
    mapping = AnyValue()
    mapping.kvlist_value.values.add(key="k", value=AnyValue(int_value=1))
    span.attributes.append(KeyValue(key="map", value=mapping))
    message = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])]
    )
    return message.SerializeToString()


def json_export() -> bytes:
    span = {
        "traceId": TRACE.upper(),
        "spanId": SPAN,
        "parentSpanId": PARENT,
        "name": "GET",
        "kind": "SPAN_KIND_SERVER",
        "startTimeUnixNano": "1000",
        "endTimeUnixNano": "5000",
        "attributes": [
            {"key": "http.method", "value": {"stringValue": "GET"}},
            {"key": "http.status_code", "value": {"intValue": "404"}},
            {"key": "ratio", "value": {"doubleValue": 0.5}},
            {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
            {"key": "map", "value": {"kvlistValue": {"values": [{"key": "k", "value": {}}]}}},
            {"key": "none", "value": {}},
        ],
    }
    document = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    return json.dumps(document).encode()


def export(body: bytes, media: str, encoding: str = "") -> EchoRequest:
    headers = {"content-type": media}
    if encoding:
        headers["content-encoding"] = encoding
    return EchoRequest("POST", otlp.TRACES_PATH, headers, body, time.time())


def test_a_protobuf_export_reads_as_spans_with_scalar_attributes() -> None:
    (span,) = otlp.spans_of(export(protobuf_export(), "application/x-protobuf"))
    assert (span.trace_id, span.span_id, span.parent_span_id) == (TRACE, SPAN, PARENT)
    assert span.kind == otlp.SERVER
    assert span.duration_ns == 4_000
    assert span.attribute("http.request.method", "http.method") == "GET"
    assert span.attribute("http.response.status_code") == 404
    assert span.attributes["sampled"] is True
    assert span.attributes["ratio"] == 0.5
    assert span.attributes["empty"] is None
    assert span.attributes["list"] == ["a"]
    assert span.attributes["map"] == {"k": 1}
    assert span.attribute("missing", "also-missing") is None


def test_a_json_export_reads_the_same_with_hex_ids_and_kind_names() -> None:
    (span,) = otlp.spans_of(export(json_export(), "application/json; charset=utf-8"))
    assert (span.trace_id, span.span_id, span.parent_span_id) == (TRACE, SPAN, PARENT)
    assert span.kind == otlp.SERVER
    assert span.duration_ns == 4_000
    assert span.attribute("http.request.method", "http.method") == "GET"
    assert span.attribute("http.status_code") == 404
    assert span.attributes["list"] == ["a"]
    assert span.attributes["map"] == {"k": None}
    assert span.attributes["none"] is None


def test_numeric_kinds_and_compressed_bodies_are_read() -> None:
    document = json.loads(json_export())
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["kind"] = 3
    body = json.dumps(document).encode()
    (span,) = otlp.spans_of(export(gzip.compress(body), "application/json", "gzip"))
    assert span.kind == 3
    deflated = otlp.spans_of(
        export(zlib.compress(protobuf_export()), "application/x-protobuf", "deflate")
    )
    assert deflated[0].trace_id == TRACE
    assert otlp.spans_of(export(protobuf_export(), "application/protobuf", "identity"))


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (export(b"\xff\xff\xff", "application/x-protobuf"), "protobuf export that does not parse"),
        (export(b"{not json", "application/json"), "JSON export that is not OTLP"),
        (export(b'{"resourceSpans": 3}', "application/json"), "JSON export that is not OTLP"),
        (export(b"", "text/plain"), "content type 'text/plain'"),
        (export(b"", ""), "content type 'none'"),
        (export(b"not gzip", "application/json", "gzip"), "gzip body that does not inflate"),
        (export(b"x", "application/json", "br"), "Content-Encoding 'br'"),
    ],
)
def test_an_unreadable_export_is_an_error_naming_why(request_: EchoRequest, reason: str) -> None:
    with pytest.raises(otlp.OtlpError, match=reason):
        otlp.spans_of(request_)


def test_exports_are_told_from_other_calls() -> None:
    calls = [
        export(b"", "application/json"),
        EchoRequest("GET", otlp.TRACES_PATH, {}, b"", 0.0),
        EchoRequest("POST", "/hooks/errors", {}, b"", 0.0),
        EchoRequest("POST", f"{otlp.TRACES_PATH}?x=1", {}, b"", 0.0),
    ]
    assert otlp.exports(calls) == [calls[0], calls[3]]


def test_the_echo_server_answers_exports_in_their_own_encoding() -> None:
    with EchoServer() as echo:
        url = f"{echo.url}{otlp.TRACES_PATH}"
        binary = httpx.post(
            url, content=protobuf_export(), headers={"Content-Type": "application/x-protobuf"}
        )
        assert binary.status_code == 200
        assert binary.headers["content-type"] == "application/x-protobuf"
        assert binary.content == b""
        text = httpx.post(url, content=json_export(), headers={"Content-Type": "application/json"})
        assert text.headers["content-type"] == "application/json"
        assert text.json() == {}
        other = httpx.post(f"{echo.url}/hooks", json={})
        assert other.json() == {"ok": True}
        assert len(otlp.exports(echo.requests())) == 2
