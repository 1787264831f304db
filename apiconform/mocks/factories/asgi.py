"""Requests and responses without a server, for unit-testing middleware and filters.

``make_request(...)`` builds a Starlette :class:`~starlette.requests.Request` whose body can
be read; ``asgi_triple(...)`` builds a scope, a ``receive`` and a recording ``send`` to
call a pure-ASGI middleware with; :class:`SentResponse` shows what was sent;
:class:`StubApp` stands in for the app behind a middleware.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HeaderInput = Mapping[str, str] | Sequence[tuple[str, str]]


def make_scope(
    method: str = "GET",
    path: str = "/",
    *,
    query: str | Mapping[str, str] = "",
    headers: HeaderInput = (),
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    server: tuple[str, int] = ("testserver", 80),
    scheme: str = "http",
    root_path: str = "",
    **extra: Any,
) -> Scope:
    """An ASGI HTTP scope; ``extra`` keys are added as they are (``state``, ``app``, ...)."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if not any(name.lower() == "host" for name, _ in pairs):
        host = server[0] if server[1] in (80, 443) else f"{server[0]}:{server[1]}"
        pairs.insert(0, ("host", host))
    query_string = query if isinstance(query, str) else urlencode(query)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": query_string.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in pairs],
        "client": client,
        "server": server,
        **extra,
    }


def make_receive(body: bytes = b"", *, chunk_size: int | None = None) -> Receive:
    """A ``receive`` that delivers ``body`` (in chunks, if asked), then ``http.disconnect``."""
    size = chunk_size or max(len(body), 1)
    chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


def _body(body: bytes, json: Any, form: Mapping[str, str] | None) -> tuple[bytes, str | None]:
    if json is not None:
        return jsonlib.dumps(json).encode(), "application/json"
    if form is not None:
        return urlencode(form).encode(), "application/x-www-form-urlencoded"
    return body, None


def make_request(
    method: str = "GET",
    path: str = "/",
    *,
    headers: HeaderInput = (),
    query: str | Mapping[str, str] = "",
    body: bytes = b"",
    json: Any = None,
    form: Mapping[str, str] | None = None,
    client: tuple[str, int] | None = ("127.0.0.1", 50000),
    **scope: Any,
) -> Request:
    """A Starlette request; ``json`` or ``form`` set the body and its content type."""
    content, content_type = _body(body, json, form)
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if content_type and not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("content-type", content_type))
    if content:
        pairs.append(("content-length", str(len(content))))
    return Request(
        make_scope(method, path, query=query, headers=pairs, client=client, **scope),
        make_receive(content),
    )


class SentResponse:
    """A recording ``send``: what an app sent, readable once it is done."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def started(self) -> bool:
        return any(m["type"] == "http.response.start" for m in self.messages)

    @property
    def complete(self) -> bool:
        bodies = [m for m in self.messages if m["type"] == "http.response.body"]
        return bool(bodies) and not bodies[-1].get("more_body", False)

    @property
    def status(self) -> int | None:
        start = next((m for m in self.messages if m["type"] == "http.response.start"), None)
        return None if start is None else int(start["status"])

    @property
    def headers(self) -> Headers:
        start = next((m for m in self.messages if m["type"] == "http.response.start"), None)
        return Headers(raw=list(start.get("headers", []))) if start else Headers()

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return jsonlib.loads(self.body)


def asgi_triple(
    method: str = "GET", path: str = "/", *, body: bytes = b"", **scope: Any
) -> tuple[Scope, Receive, SentResponse]:
    """A scope, a ``receive`` delivering ``body`` and a recording ``send``."""
    return make_scope(method, path, **scope), make_receive(body), SentResponse()


async def call_asgi(
    app: ASGIApp, method: str = "GET", path: str = "/", *, body: bytes = b"", **scope: Any
) -> SentResponse:
    """Call ``app`` with one request and return what it sent."""
    built, receive, send = asgi_triple(method, path, body=body, **scope)
    await app(built, receive, send)
    return send


async def render_response(response: Response, request: Request | None = None) -> SentResponse:
    """What a Starlette ``response`` sends (for filters and handlers that return one)."""
    sent = SentResponse()
    req = request or make_request()
    await response(req.scope, req.receive, sent)
    return sent


class StubApp:
    """The app behind a middleware under test: records each call, then answers with a
    fixed response or raises ``raises``. ``body`` is what it read from ``receive``."""

    def __init__(
        self,
        *,
        status: int = 200,
        json: Any = None,
        body: bytes = b"ok",
        headers: Mapping[str, str] | None = None,
        raises: BaseException | None = None,
    ) -> None:
        self.status = status
        self.content = jsonlib.dumps(json).encode() if json is not None else body
        self.media_type = "application/json" if json is not None else "text/plain"
        self.headers = dict(headers or {})
        self.raises = raises
        self.calls: list[Scope] = []
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls.append(scope)
        if scope["type"] == "http":
            request = Request(scope, receive)
            self.bodies.append(await request.body())
        if self.raises is not None:
            raise self.raises
        response = Response(
            self.content, status_code=self.status, headers=self.headers, media_type=self.media_type
        )
        await response(scope, receive, send)


class RequestFactory:
    """The functions of this module on one object (what the ``request_factory`` fixture
    gives): ``request``, ``scope``, ``receive``, ``triple``, ``call``, ``render``, ``stub``."""

    request = staticmethod(make_request)
    scope = staticmethod(make_scope)
    receive = staticmethod(make_receive)
    triple = staticmethod(asgi_triple)
    call = staticmethod(call_asgi)
    render = staticmethod(render_response)
    stub = StubApp
