"""The telemetry middleware, outermost in the stack: it answers the probe endpoints and,
for every other request, makes the server span, counts the request in flight, and
records its duration, status and route template once the inner layers are done."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog
from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiconform.reference.kernel.middleware import ACCESS_FIELDS_KEY
from apiconform.reference.kernel.routing import route_template
from apiconform.reference.observability import endpoints
from apiconform.reference.observability.state import Telemetry
from apiconform.reference.observability.tracing import (
    extract_context,
    reset_current_tracer,
    set_current_tracer,
)

Endpoint = Callable[[Telemetry, Scope], Awaitable[Response]]
LIVE_ALIAS = "/health"


class TelemetryMiddleware:
    def __init__(self, app: ASGIApp, *, telemetry: Telemetry) -> None:
        self.app = app
        self.telemetry = telemetry
        config = telemetry.config
        self.endpoints: dict[str, Endpoint] = {
            config.live_path: endpoints.live,
            LIVE_ALIAS: endpoints.live,
            config.ready_path: endpoints.ready,
            config.status_path: endpoints.status,
        }
        if config.metrics_enabled:
            self.endpoints[config.metrics_path] = endpoints.metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = self.endpoints.get(scope["path"])
        if endpoint is not None:
            if scope["method"] not in ("GET", "HEAD"):
                endpoint = endpoints.not_allowed
            response = await endpoint(self.telemetry, scope)
            await response(scope, receive, send)
            return
        await self._instrumented(scope, receive, send)

    @staticmethod
    def path_label(scope: Scope) -> str | None:
        """The route template the router matched, as the client addressed it (None when
        nothing matched)."""
        return route_template(scope)

    @staticmethod
    def error_label(scope: Scope, status: int) -> str | None:
        """The exception class the errors feature reported for a failed request."""
        if status < 400:
            return None
        error = (scope.get(ACCESS_FIELDS_KEY) or {}).get("error")
        return error if isinstance(error, str) else None

    async def _instrumented(self, scope: Scope, receive: Receive, send: Send) -> None:
        telemetry = self.telemetry
        metrics = telemetry.metrics
        tracer = telemetry.tracer
        method = scope["method"]
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        span = context_token = tracer_token = log_tokens = None
        if tracer is not None:
            parent = extract_context(scope.get("headers", []))
            span = tracer.start_span(
                method,
                context=parent,
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": method,
                    "url.path": scope["path"],
                    "url.scheme": scope.get("scheme", "http"),
                },
            )
            context_token = otel_context.attach(set_span_in_context(span, parent))
            tracer_token = set_current_tracer(tracer)
            span_context = span.get_span_context()
            if span_context.is_valid:
                log_tokens = structlog.contextvars.bind_contextvars(
                    trace_id=f"{span_context.trace_id:032x}",
                    span_id=f"{span_context.span_id:016x}",
                )
        telemetry.in_flight += 1
        metrics.in_progress.inc()
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            await self.app(scope, receive, send_status)
        except asyncio.CancelledError:
            telemetry.cut += 1
            raise
        except BaseException as exc:
            failure = exc
            raise
        finally:
            elapsed = time.perf_counter() - started
            telemetry.in_flight -= 1
            metrics.in_progress.dec()
            if telemetry.health.draining:
                telemetry.completed_while_draining += 1
            answered = status or 500
            route = self.path_label(scope)
            metrics.observe(method, route, answered, elapsed, self.error_label(scope, answered))
            if span is not None:
                span.set_attribute("http.response.status_code", answered)
                if route is not None:
                    span.set_attribute("http.route", route)
                    span.update_name(f"{method} {route}")
                if failure is not None:
                    span.record_exception(failure)
                if answered >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                span.end()
                if log_tokens is not None:
                    structlog.contextvars.reset_contextvars(**log_tokens)
                reset_current_tracer(tracer_token)
                if context_token is not None:
                    otel_context.detach(context_token)
