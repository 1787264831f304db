"""Variants of the spans the demo exports over OTLP/HTTP (OBS-TRACE-01).

They wrap the feature's exporter (``observability.tracing._exporter``): each span is
rewritten before it leaves, as a target with that defect would have written it; the legit
variant sends OTLP JSON, gzip-compressed, with the older semantic-convention names.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from apiconform.reference.observability import tracing as obs_tracing
from apiconform.reference.observability.config import TracingConfig
from tests.selftest.variants.base import Variant, broken, register

OBSERVABILITY = "add-health-observability"
CLAIMS = (OBSERVABILITY,)

Rewrite = Callable[[ReadableSpan], ReadableSpan]


def _copy(span: ReadableSpan, **changes: Any) -> ReadableSpan:
    fields: dict[str, Any] = {
        "name": span.name,
        "context": span.context,
        "parent": span.parent,
        "resource": span.resource,
        "attributes": dict(span.attributes or {}),
        "events": span.events,
        "links": span.links,
        "kind": span.kind,
        "status": span.status,
        "start_time": span.start_time,
        "end_time": span.end_time,
        "instrumentation_scope": span.instrumentation_scope,
    }
    fields.update(changes)
    return ReadableSpan(**fields)


class _Rewriting(SpanExporter):
    def __init__(self, real: SpanExporter, rewrite: Rewrite) -> None:
        self.real = real
        self.rewrite = rewrite

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.real.export([self.rewrite(span) for span in spans])

    def shutdown(self) -> None:
        self.real.shutdown()


def _server_spans(rewrite: Rewrite) -> None:
    """Rewrite the SERVER spans the demo exports."""
    exporter = obs_tracing._exporter

    def wrapped(config: TracingConfig) -> SpanExporter | None:
        real = exporter(config)
        if real is None:
            return None
        return _Rewriting(real, lambda s: rewrite(s) if s.kind is SpanKind.SERVER else s)

    obs_tracing._exporter = wrapped


def _without(*names: str) -> Rewrite:
    def drop(span: ReadableSpan) -> ReadableSpan:
        attributes = {k: v for k, v in (span.attributes or {}).items() if k not in names}
        return _copy(span, attributes=attributes)

    return drop


@broken(OBSERVABILITY, {"OBS-TRACE-01": "OBS-TRACE-01.span"}, claims=CLAIMS)
def request_spans_are_internal() -> None:
    """The request's span is exported as an INTERNAL span, not a SERVER one."""
    _server_spans(lambda span: _copy(span, kind=SpanKind.INTERNAL))


@broken(OBSERVABILITY, {"OBS-TRACE-01": "OBS-TRACE-01.method"}, claims=CLAIMS)
def request_spans_without_method() -> None:
    """Request spans carry no HTTP method."""
    _server_spans(_without("http.request.method", "http.method"))


@broken(OBSERVABILITY, {"OBS-TRACE-01": "OBS-TRACE-01.url"}, claims=CLAIMS)
def request_spans_without_url() -> None:
    """Request spans carry the route template only, not the URL requested."""
    _server_spans(_without("url.path", "http.target", "url.full", "http.url"))


@broken(OBSERVABILITY, {"OBS-TRACE-01": "OBS-TRACE-01.status"}, claims=CLAIMS)
def request_spans_always_say_200() -> None:
    """Request spans give the status code as 200 whatever the answer was."""

    def always_ok(span: ReadableSpan) -> ReadableSpan:
        attributes = {**(span.attributes or {}), "http.response.status_code": 200}
        return _copy(span, attributes=attributes)

    _server_spans(always_ok)


@broken(OBSERVABILITY, {"OBS-TRACE-01": "OBS-TRACE-01.duration"}, claims=CLAIMS)
def request_spans_without_duration() -> None:
    """Request spans end when they start."""
    _server_spans(lambda span: _copy(span, end_time=span.start_time))


# -- correct but different ----------------------------------------------------------------

OLD_NAMES = {
    "http.request.method": "http.method",
    "url.path": "http.target",
    "http.response.status_code": "http.status_code",
}
KIND_NAMES = {
    SpanKind.INTERNAL: "SPAN_KIND_INTERNAL",
    SpanKind.SERVER: "SPAN_KIND_SERVER",
    SpanKind.CLIENT: "SPAN_KIND_CLIENT",
    SpanKind.PRODUCER: "SPAN_KIND_PRODUCER",
    SpanKind.CONSUMER: "SPAN_KIND_CONSUMER",
}


def _value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}  # int64 as a string, as OTLP JSON says
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def _attributes(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"key": OLD_NAMES.get(k, k), "value": _value(v)} for k, v in attributes.items()]


def _span_json(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    assert context is not None
    return {
        "traceId": f"{context.trace_id:032x}",
        "spanId": f"{context.span_id:016x}",
        "parentSpanId": f"{span.parent.span_id:016x}" if span.parent else "",
        "name": span.name,
        "kind": KIND_NAMES.get(span.kind, "SPAN_KIND_UNSPECIFIED"),
        "startTimeUnixNano": str(span.start_time),
        "endTimeUnixNano": str(span.end_time),
        "attributes": _attributes(span.attributes or {}),
    }


class OtlpJsonExporter(SpanExporter):
    """OTLP/HTTP with the JSON encoding, gzip-compressed (as browser and some Node
    exporters send it)."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = {
            "resourceSpans": [
                {
                    "resource": {"attributes": _attributes({"service.name": "json-exporter"})},
                    "scopeSpans": [
                        {"scope": {"name": "variant"}, "spans": [_span_json(s) for s in spans]}
                    ],
                }
            ]
        }
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        try:
            response = httpx.post(
                self.endpoint,
                content=gzip.compress(json.dumps(body).encode()),
                headers=headers,
                timeout=5,
            )
        except httpx.HTTPError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS if response.is_success else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        return None


class ZipkinJsonExporter(OtlpJsonExporter):
    """Zipkin v2 JSON (a list of spans) posted to the OTLP endpoint: a misconfigured
    exporter."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = [
            {
                "traceId": f"{s.context.trace_id:032x}" if s.context else "",
                "id": f"{s.context.span_id:016x}" if s.context else "",
                "name": s.name,
                "kind": "SERVER" if s.kind is SpanKind.SERVER else "CLIENT",
                "timestamp": (s.start_time or 0) // 1000,
                "duration": ((s.end_time or 0) - (s.start_time or 0)) // 1000,
                "tags": {k: str(v) for k, v in (s.attributes or {}).items()},
            }
            for s in spans
        ]
        try:
            httpx.post(self.endpoint, json=body, timeout=5)
        except httpx.HTTPError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS


def _exporting(make: Callable[[str], SpanExporter]) -> None:
    exporter = obs_tracing._exporter

    def replaced(config: TracingConfig) -> SpanExporter | None:
        if config.exporter != "otlp" or not config.otlp_endpoint:
            return exporter(config)
        return make(config.otlp_endpoint)

    obs_tracing._exporter = replaced


@broken(OBSERVABILITY, {"OBS-TRACE-01": "OBS-TRACE-01.export"}, claims=CLAIMS)
def zipkin_json_to_the_otlp_endpoint() -> None:
    """Spans are posted to the OTLP endpoint as Zipkin v2 JSON."""
    _exporting(ZipkinJsonExporter)


def otlp_json_with_older_attribute_names() -> None:
    """Spans sent as gzip-compressed OTLP JSON, with span kinds as enum names and the
    semantic conventions before 1.21 (http.method, http.target, http.status_code)."""
    _exporting(OtlpJsonExporter)


register(
    Variant(
        "otlp-json-with-older-attribute-names",
        (OBSERVABILITY,),
        otlp_json_with_older_attribute_names,
        legit=True,
        claims=CLAIMS,
    )
)
