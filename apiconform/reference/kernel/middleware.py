"""The request-scope middleware: a child DI scope, a correlation id and an access-log line
for every HTTP request."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiconform.common.logs import get_logger
from apiconform.reference.kernel.context import correlation_context, scope_context
from apiconform.reference.kernel.controllers import CONTAINER_KEY
from apiconform.reference.kernel.net import client_ip
from apiconform.reference.kernel.routing import APP_KEY

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application

CORRELATION_HEADER = "x-correlation-id"
REQUEST_ID_HEADER = "x-request-id"
CORRELATION_ID_KEY = "apiconform.correlation_id"
SCOPE_ID_KEY = "apiconform.scope_id"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_access = get_logger("apiconform.access")


def correlation_id_from(scope: Scope) -> str:
    """The caller's ``X-Correlation-ID`` (or ``X-Request-ID``) when well-formed, else a new
    id; anything else is ignored so a hostile value never reaches logs or headers."""
    found: dict[bytes, str] = {}
    for name, value in scope.get("headers", ()):
        if name in (b"x-correlation-id", b"x-request-id") and name not in found:
            found[name] = value.decode("latin-1")
    for name in (b"x-correlation-id", b"x-request-id"):
        value = found.get(name)
        if value is not None and _VALID_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


class RequestScopeMiddleware:
    """Runs each request inside its own child scope of the application's container.

    The scope is disposed when the response ends, also after an error or a client
    disconnect. Non-HTTP scopes (lifespan) pass straight through.
    """

    def __init__(self, app: ASGIApp, *, application: Application) -> None:
        self.app = app
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        application = self.application
        correlation_id = correlation_id_from(scope)
        scope_id = f"scope:req:{secrets.token_hex(6)}"
        container = application.container.create_scope(
            scope_id, isolated=application.recreates_providers_per_request
        )
        scope[CONTAINER_KEY] = container
        scope[APP_KEY] = application
        scope[CORRELATION_ID_KEY] = correlation_id
        scope[SCOPE_ID_KEY] = scope_id
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if CORRELATION_HEADER not in headers:
                    headers[CORRELATION_HEADER] = correlation_id
            await send(message)

        with (
            scope_context(application, container, scope_id),
            correlation_context(correlation_id),
        ):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                await container.dispose()
                if scope["type"] == "http":
                    route = scope.get("route")
                    _access.info(
                        "request",
                        method=scope["method"],
                        path=scope["path"],
                        route=getattr(route, "path", None),
                        status=status or 500,
                        duration_ms=round((time.perf_counter() - started) * 1000, 3),
                        client_ip=client_ip(scope, application.config.trusted_proxies),
                    )
