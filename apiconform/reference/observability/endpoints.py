"""The probe endpoints: liveness, readiness, status and the Prometheus scrape.

They are answered by the telemetry middleware, outside every other layer, so a probe is
never rate-limited, versioned or asked to sign in, and stays fast while the application
is busy. Their client errors (a bad ``checks`` filter, a missing token) are answered by
the application's error handler, as problems.
"""

from __future__ import annotations

import hmac
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson
from prometheus_client import exposition
from prometheus_client.openmetrics import exposition as openmetrics
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from apiconform.reference.errors.exceptions import (
    BadRequest,
    HttpException,
    MethodNotAllowed,
    Unauthorized,
)

if TYPE_CHECKING:
    from apiconform.reference.observability.state import Telemetry

_NO_STORE = {"cache-control": "no-store"}
_MAX_CHECKS = 32


def package_version() -> str:
    try:
        return version("apiconform")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _json(status: int, body: dict[str, Any]) -> Response:
    return _Json(body, status_code=status, headers=_NO_STORE)


async def _problem(telemetry: Telemetry, exc: HttpException, scope: Scope) -> Response:
    handler = telemetry.app.error_handler
    if handler is not None:
        return await handler.handle(exc, Request(scope))
    body = {"type": exc.type, "title": exc.title, "status": exc.status, "detail": exc.detail}
    return Response(
        orjson.dumps(body),
        status_code=exc.status,
        media_type="application/problem+json",
        headers=exc.headers,
    )


def _authorised(scope: Scope, token: SecretStr | None) -> bool:
    if token is None:
        return True
    expected = f"Bearer {token.get_secret_value()}".encode()
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            return hmac.compare_digest(value, expected)
    return False


def _checks_filter(scope: Scope) -> list[str] | None:
    query = scope.get("query_string", b"").decode("latin-1")
    values = parse_qs(query, max_num_fields=_MAX_CHECKS).get("checks")
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names[:_MAX_CHECKS]


async def not_allowed(telemetry: Telemetry, scope: Scope) -> Response:
    exc = MethodNotAllowed(f"{scope['path']} answers GET and HEAD", allowed=("GET", "HEAD"))
    return await _problem(telemetry, exc, scope)


async def live(telemetry: Telemetry, scope: Scope) -> Response:
    status, body = telemetry.health.liveness_answer()
    return _json(status, body)


async def ready(telemetry: Telemetry, scope: Scope) -> Response:
    try:
        names = _checks_filter(scope)
        status, body = await telemetry.health.readiness(names)
    except ValueError:
        return await _problem(telemetry, BadRequest("the checks filter is not valid"), scope)
    except KeyError as exc:
        known = ", ".join(telemetry.health.names) or "none"
        detail = f"unknown check {str(exc.args[0])[:64]!r}; known checks: {known}"
        return await _problem(telemetry, BadRequest(detail), scope)
    return _json(status, body)


async def status(telemetry: Telemetry, scope: Scope) -> Response:
    if not _authorised(scope, telemetry.config.status_token):
        return await _problem(telemetry, Unauthorized("a bearer token is required"), scope)
    outcomes = await telemetry.health.run()
    failed = any(o.fails_readiness for o in outcomes)
    degraded = any(o.status != "up" for o in outcomes)
    app = telemetry.app
    body = {
        "status": "down" if failed else "degraded" if degraded else "up",
        "timestamp": outcomes[0].timestamp if outcomes else None,
        "application": {
            "id": app.id,
            "service": telemetry.config.service,
            "version": telemetry.version,
            "environment": app.config.environment,
            "python": platform.python_version(),
        },
        "checks": {o.name: o.to_dict() for o in outcomes},
        "system": telemetry.resources.snapshot(),
        "draining": telemetry.health.draining,
        "in_flight": telemetry.in_flight,
    }
    return _json(503 if failed or telemetry.health.draining else 200, body)


async def metrics(telemetry: Telemetry, scope: Scope) -> Response:
    if not _authorised(scope, telemetry.config.metrics_token):
        return await _problem(telemetry, Unauthorized("a bearer token is required"), scope)
    accept = ""
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            accept = value.decode("latin-1")
            break
    registry = telemetry.metrics.registry
    if "application/openmetrics-text" in accept:
        body = openmetrics.generate_latest(registry)  # type: ignore[no-untyped-call]
        media = openmetrics.CONTENT_TYPE_LATEST
    else:
        body = exposition.generate_latest(registry)
        # the classic text format: what every Prometheus release (and promtool) reads
        media = exposition.CONTENT_TYPE_PLAIN_0_0_4
    return Response(body, headers={**_NO_STORE, "content-type": media})


async def respond(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    await response(scope, receive, send)
