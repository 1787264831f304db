"""The middleware in front of the providers: it records each request in the journal and
applies the transport faults (latency, connection reset, outage, malformed JSON).

It must wrap the whole Starlette app from outside: a connection reset needs the server's
own ``send`` (see :func:`reset_connection`), which Starlette's middleware would wrap.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiconform.common.logs import get_logger
from apiconform.mocks.oauth_server.context import MockContext

Resolver = Callable[[Scope], "tuple[str, str | None] | None"]
log = get_logger("apiconform.mocks.oauth")


class ConnectionResetByMock(ConnectionResetError):
    """Raised to the caller when a connection reset is injected and there is no socket to
    reset (in process, through httpx's ASGI transport)."""


class ProviderGate:
    """Pure ASGI middleware: journal + transport faults for provider paths."""

    def __init__(self, app: ASGIApp, *, ctx: MockContext, resolve: Resolver) -> None:
        self.app = app
        self.ctx = ctx
        self.resolve = resolve

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.resolve(scope) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        provider, endpoint = found
        body = await _read_body(receive)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        record = self.ctx.journal.record(
            time=self.ctx.clock.now(),
            provider=provider,
            endpoint=endpoint,
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b""),
            headers=headers,
            body=body,
        )

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        replay = _replay(body, receive)
        faults = self.ctx.faults.take_transport(provider, endpoint)
        if faults is None:
            await self.app(scope, replay, recording_send)
            return
        if faults.latency:
            log.info("fault injected", provider=provider, endpoint=endpoint, fault="latency")
            await asyncio.sleep(faults.latency)
        if faults.connection_reset:
            log.info("fault injected", provider=provider, endpoint=endpoint, fault="reset")
            await reset_connection(send)
            return
        if faults.outage:
            log.info("fault injected", provider=provider, endpoint=endpoint, fault="outage")
            description = f"The {provider} mock is in an injected outage."
            outage = JSONResponse(
                {"error": "temporarily_unavailable", "error_description": description},
                status_code=503,
            )
            await outage(scope, replay, recording_send)
            return
        if faults.malformed_json:
            log.info("fault injected", provider=provider, endpoint=endpoint, fault="malformed")
            await self.app(scope, replay, _corrupting(recording_send))
            return
        await self.app(scope, replay, recording_send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out the already-read body once, then defers to the server."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _corrupting(send: Send) -> Send:
    """A ``send`` that cuts JSON bodies in half, leaving other responses alone."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def corrupt(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        assert start is not None  # the body cannot come before the start
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        headers: list[Any] = list(start.get("headers", []))
        content_type = dict(headers).get(b"content-type", b"")
        if b"json" in content_type:
            body = body[: len(body) // 2]
            headers = [(k, v) for k, v in headers if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return corrupt


async def reset_connection(send: Send) -> None:
    """Drop the connection without a response, with a TCP RST.

    Under uvicorn, ``send`` is a bound method of the request cycle, which holds the
    connection's transport; closing it with ``SO_LINGER`` 0 makes the kernel send a reset.
    There is no ASGI message for this, hence the reach into the server's object. Without a
    transport (in process) :class:`ConnectionResetByMock` is raised to the caller instead.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionResetByMock("connection reset by the mock (injected fault)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let the server notice the lost connection before the app returns, so it does not
    # try to send a 500 of its own.
    await asyncio.sleep(0)
