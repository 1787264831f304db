"""OpenTelemetry tracing of one application: its own tracer provider (never the global
one, so two applications in one process keep their own exporters and resources), W3C
trace context in and out, ``@trace`` for child spans and an httpx transport that makes a
client span per outbound call and injects ``traceparent``/``tracestate``."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar, cast

import httpx
from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import (
    INVALID_SPAN,
    Span,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    get_current_span,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from apiconform.errors import ConfigError
from apiconform.reference.observability.config import TracingConfig

F = TypeVar("F", bound=Callable[..., Any])
PROPAGATOR = TraceContextTextMapPropagator()
_CURRENT_TRACER: ContextVar[Tracer | None] = ContextVar("apiconform_tracer", default=None)


def make_provider(config: TracingConfig, resource: Mapping[str, str]) -> TracerProvider:
    """A tracer provider with the configured sampler and exporter."""
    provider = TracerProvider(
        resource=Resource.create(dict(resource)),
        sampler=ParentBased(TraceIdRatioBased(config.sample_ratio)),
    )
    exporter = _exporter(config)
    if exporter is not None:
        processor = (
            SimpleSpanProcessor(exporter)
            if config.exporter == "console"
            else BatchSpanProcessor(exporter, schedule_delay_millis=500)
        )
        provider.add_span_processor(processor)
    return provider


def _exporter(config: TracingConfig) -> SpanExporter | None:
    if config.exporter == "console":
        # stderr: stdout is the JSON log stream
        return ConsoleSpanExporter(
            out=sys.stderr, formatter=lambda span: span.to_json(indent=None) + "\n"
        )
    if config.exporter == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:  # pragma: no cover - a base dependency; a broken install only
            raise ConfigError(
                "observability.tracing.exporter = 'otlp' needs the package "
                "opentelemetry-exporter-otlp-proto-http (pip install apiconform[otlp])"
            ) from None
        return OTLPSpanExporter(endpoint=config.otlp_endpoint, timeout=5)
    return None


def extract_context(headers: list[tuple[bytes, bytes]]) -> otel_context.Context:
    """The W3C trace context of incoming headers (an invalid one is ignored)."""
    carrier: dict[str, str] = {}
    for name, value in headers:
        if name == b"traceparent" or name == b"tracestate":
            key = name.decode()
            if key not in carrier:  # the first one wins
                carrier[key] = value.decode("latin-1")
    if not carrier:
        return otel_context.Context()
    return PROPAGATOR.extract(carrier)


def set_current_tracer(tracer: Tracer | None) -> Any:
    return _CURRENT_TRACER.set(tracer)


def reset_current_tracer(token: Any) -> None:
    _CURRENT_TRACER.reset(token)


def current_tracer() -> Tracer | None:
    """The tracer of the application serving the current request, if it traces."""
    return _CURRENT_TRACER.get()


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` of the current span as hex, or None outside a span."""
    span_context = get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"


def _start(name: str, attributes: dict[str, Any]) -> tuple[Span, Any]:
    tracer = current_tracer()
    span: Span = INVALID_SPAN
    if tracer is not None:
        span = tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attributes)
    from opentelemetry.trace import set_span_in_context

    return span, otel_context.attach(set_span_in_context(span))


def _fail(span: Span, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))


def trace(function: F) -> F:
    """A child span around each call of ``function`` (sync or async), named after its
    class and function, linked to the current span; an exception is recorded as a span
    event with error status, then re-raised. Outside a traced request it just calls."""
    qualname = function.__qualname__
    namespace, _, name = qualname.rpartition(".")
    attributes = {"code.function": name, "code.namespace": namespace or function.__module__}

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            span, token = _start(qualname, attributes)
            try:
                return await function(*args, **kwargs)
            except BaseException as exc:
                _fail(span, exc)
                raise
            finally:
                span.end()
                otel_context.detach(token)

        return cast(F, traced_async)

    @functools.wraps(function)
    def traced(*args: Any, **kwargs: Any) -> Any:
        span, token = _start(qualname, attributes)
        try:
            return function(*args, **kwargs)
        except BaseException as exc:
            _fail(span, exc)
            raise
        finally:
            span.end()
            otel_context.detach(token)

    return cast(F, traced)


class TracingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that makes a client span per request and injects its W3C trace
    context (same trace id, the client span as the new parent) into the request."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        tracer = current_tracer()
        attributes = {
            "http.request.method": request.method,
            "server.address": request.url.host,
            "url.full": str(request.url.copy_with(query=None)),
        }
        span: Span = INVALID_SPAN
        if tracer is not None:
            span = tracer.start_span(
                f"{request.method}", kind=SpanKind.CLIENT, attributes=attributes
            )
        from opentelemetry.trace import set_span_in_context

        ctx = set_span_in_context(span) if tracer is not None else None
        carrier: dict[str, str] = {}
        PROPAGATOR.inject(carrier, context=ctx)
        for key, value in carrier.items():
            request.headers[key] = value
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException as exc:
            _fail(span, exc)
            span.end()
            raise
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def traced_client(**options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose requests carry the current trace context."""
    transport = options.pop("transport", None)
    return httpx.AsyncClient(transport=TracingTransport(transport), **options)
