"""The request-scope middleware: a child DI scope, a correlation id, the client address
and an access-log line for every HTTP request.

It runs on every request, so it is written for speed: the context is entered with
tokens rather than context managers, ids come from a counter and a fast random source
(they identify, they do not authenticate), and the access line is written by
:func:`apiconform.common.logs.emit`.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiconform.common.logs import emit
from apiconform.reference.kernel.context import enter_request, leave_request
from apiconform.reference.kernel.controllers import CONTAINER_KEY
from apiconform.reference.kernel.net import CLIENT_IP_KEY, resolve_client_ip
from apiconform.reference.kernel.routing import APP_KEY

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application

CORRELATION_HEADER = "x-correlation-id"
REQUEST_ID_HEADER = "x-request-id"
CORRELATION_ID_KEY = "apiconform.correlation_id"
SCOPE_ID_KEY = "apiconform.scope_id"
ACCESS_FIELDS_KEY = "apiconform.access_fields"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_ID_HEADERS = (b"x-correlation-id", b"x-request-id")
_CORRELATION_BYTES = CORRELATION_HEADER.encode()

# request scope ids: a per-process random prefix and a counter
_SCOPE_PREFIX = f"scope:req:{os.urandom(3).hex()}"
_scope_numbers = itertools.count(1)


def add_access_fields(scope: Scope, **fields: object) -> None:
    """Add fields to this request's access line (a feature's verdict on the request, say:
    the error of a failed one), so one line tells what happened to it."""
    found = scope.get(ACCESS_FIELDS_KEY)
    if found is None:
        scope[ACCESS_FIELDS_KEY] = fields
    else:
        found.update(fields)


def new_correlation_id() -> str:
    """32 hex digits; unique enough to trace a request, not a secret."""
    return f"{random.getrandbits(128):032x}"


def correlation_id_from(scope: Scope) -> str:
    """The caller's ``X-Correlation-ID`` (or ``X-Request-ID``) when well-formed, else a new
    id; anything else is ignored so a hostile value never reaches logs or headers."""
    correlation: bytes | None = None
    request_id: bytes | None = None
    for name, value in scope.get("headers", ()):
        if name == b"x-correlation-id":
            if correlation is None:
                correlation = value
        elif name == b"x-request-id" and request_id is None:
            request_id = value
    for raw in (correlation, request_id):
        if raw is not None:
            text = raw.decode("latin-1")
            if _VALID_ID.fullmatch(text):
                return text
    return new_correlation_id()


class RequestScopeMiddleware:
    """Runs each request inside its own child scope of the application's container.

    The scope is disposed when the response ends, also after an error or a client
    disconnect. Non-HTTP scopes (lifespan) pass straight through.
    """

    def __init__(self, app: ASGIApp, *, application: Application) -> None:
        self.app = app
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        application = self.application
        config = application.config
        correlation_id = correlation_id_from(scope)
        scope_id = f"{_SCOPE_PREFIX}{next(_scope_numbers):x}"
        container = application.container.create_scope(
            scope_id, isolated=application.recreates_providers_per_request
        )
        scope[CONTAINER_KEY] = container
        scope[APP_KEY] = application
        scope[CORRELATION_ID_KEY] = correlation_id
        scope[SCOPE_ID_KEY] = scope_id
        client_ip = scope[CLIENT_IP_KEY] = resolve_client_ip(
            scope, config.trusted_proxies, config.proxy_header
        )
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                if not any(name.lower() == _CORRELATION_BYTES for name, _ in headers):
                    headers = message["headers"] = [
                        *headers,
                        (_CORRELATION_BYTES, correlation_id.encode("latin-1")),
                    ]
            await send(message)

        tokens = enter_request(application, container, scope_id, correlation_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            try:
                await container.dispose()
                if kind == "http":
                    route = scope.get("route")
                    line = {
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": getattr(route, "path", None),
                        "status": status or 500,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                        "client_ip": client_ip,
                    }
                    extra = scope.get(ACCESS_FIELDS_KEY)
                    if extra:
                        line.update(extra)
                    emit("apiconform.access", "info", "request", line)
            finally:
                leave_request(tokens)
