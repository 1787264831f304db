"""Spans a target exports over OTLP/HTTP to the suite's echo server (``{echo_url}/v1/traces``).

Both encodings the OTLP specification defines are read: binary protobuf
(``application/x-protobuf``, what the Python and Java exporters send) and JSON
(``application/json``, what browser and some Node exporters send, with hex trace and span
ids), gzip-compressed or not. Attribute values are flattened to Python scalars.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from apiconform.conformance.echo import TRACES_PATH, EchoRequest

# SpanKind in OTLP: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer
SERVER = 2
KINDS = {
    "SPAN_KIND_UNSPECIFIED": 0,
    "SPAN_KIND_INTERNAL": 1,
    "SPAN_KIND_SERVER": 2,
    "SPAN_KIND_CLIENT": 3,
    "SPAN_KIND_PRODUCER": 4,
    "SPAN_KIND_CONSUMER": 5,
}
MAX_INFLATED = 20_000_000


class OtlpError(ValueError):
    """An export the suite cannot read."""


@dataclass(frozen=True)
class Span:
    trace_id: str  # 32 lower-case hex digits
    span_id: str  # 16
    parent_span_id: str  # "" for a root span
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    def attribute(self, *names: str) -> Any:
        """The first of ``names`` the span has (semantic conventions renamed some)."""
        for name in names:
            if name in self.attributes:
                return self.attributes[name]
        return None


def _inflate(request: EchoRequest) -> bytes:
    encoding = request.headers.get("content-encoding", "").lower()
    if encoding in ("", "identity"):
        return request.body
    try:
        if encoding == "gzip":
            return gzip.decompress(request.body)[:MAX_INFLATED]
        if encoding == "deflate":
            return zlib.decompress(request.body)[:MAX_INFLATED]
    except (OSError, EOFError, zlib.error) as error:
        raise OtlpError(f"a {encoding} body that does not inflate: {error}") from None
    raise OtlpError(f"an export with Content-Encoding {encoding!r}")


def _any_value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def _from_protobuf(body: bytes) -> list[Span]:
    message = ExportTraceServiceRequest()
    try:
        message.ParseFromString(body)
    except DecodeError as error:
        raise OtlpError(f"a protobuf export that does not parse: {error}") from None
    return [
        Span(
            span.trace_id.hex(),
            span.span_id.hex(),
            span.parent_span_id.hex(),
            span.name,
            int(span.kind),
            int(span.start_time_unix_nano),
            int(span.end_time_unix_nano),
            {a.key: _any_value(a.value) for a in span.attributes},
        )
        for resource in message.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]


def _json_value(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        return None
    kind, raw = next(iter(value.items()))
    if kind == "intValue":
        return int(raw)
    if kind == "doubleValue":
        return float(raw)
    if kind == "arrayValue":
        return [_json_value(v) for v in (raw or {}).get("values", [])]
    if kind == "kvlistValue":
        return {kv.get("key"): _json_value(kv.get("value")) for kv in (raw or {}).get("values", [])}
    return raw


def _json_kind(raw: Any) -> int:
    if isinstance(raw, int):
        return raw
    return KINDS.get(str(raw), 0)


def _from_json(body: bytes) -> list[Span]:
    try:
        document = json.loads(body)
        return [
            Span(
                str(span.get("traceId", "")).lower(),
                str(span.get("spanId", "")).lower(),
                str(span.get("parentSpanId", "") or "").lower(),
                str(span.get("name", "")),
                _json_kind(span.get("kind", 0)),
                int(span.get("startTimeUnixNano", 0)),
                int(span.get("endTimeUnixNano", 0)),
                {a["key"]: _json_value(a.get("value")) for a in span.get("attributes", [])},
            )
            for resource in document.get("resourceSpans", [])
            for scope in resource.get("scopeSpans", [])
            for span in scope.get("spans", [])
        ]
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise OtlpError(f"a JSON export that is not OTLP: {error}") from None


def spans_of(request: EchoRequest) -> list[Span]:
    """The spans of one OTLP/HTTP export request."""
    body = _inflate(request)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        return _from_json(body)
    if media in ("application/x-protobuf", "application/protobuf"):
        return _from_protobuf(body)
    raise OtlpError(f"an export of content type {media or 'none'!r}")


def is_export(request: EchoRequest) -> bool:
    """Whether ``request`` is an OTLP/HTTP trace export to the echo server's collector."""
    return request.method == "POST" and request.path.split("?", 1)[0] == TRACES_PATH


def exports(requests: list[EchoRequest]) -> list[EchoRequest]:
    """The OTLP/HTTP trace exports among what the echo server received."""
    return [r for r in requests if is_export(r)]
