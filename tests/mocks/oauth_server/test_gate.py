"""The gate middleware, unit-tested with the request factories."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from apiconform.mocks.factories import SentResponse, StubApp, make_receive, make_scope
from apiconform.mocks.oauth_server import ConnectionResetByMock, MockOAuthApp
from apiconform.mocks.oauth_server.config import MockOAuthConfig
from apiconform.mocks.oauth_server.context import MockContext
from apiconform.mocks.oauth_server.gate import ProviderGate, reset_connection


def gate_for(app: Any) -> tuple[ProviderGate, MockContext]:
    ctx = MockContext.create(MockOAuthConfig())
    return ProviderGate(app, ctx=ctx, resolve=lambda scope: ("google", "token")), ctx


async def test_a_chunked_body_is_recorded_whole_and_replayed() -> None:
    stub = StubApp()
    gate, ctx = gate_for(stub)
    body = b"grant_type=authorization_code&code=abc"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    await gate(
        make_scope("POST", "/google/token", headers=headers),
        make_receive(body, chunk_size=5),
        SentResponse(),
    )
    assert stub.bodies == [body]
    record = ctx.journal.last("google")
    assert record.form == {"grant_type": "authorization_code", "code": "abc"}
    assert record.status == 200


async def test_a_client_gone_before_the_body_still_reaches_the_app() -> None:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(await receive())  # the replayed (empty) body
        seen.append(await receive())  # then whatever the server has: the disconnect

    async def disconnected() -> Message:
        return {"type": "http.disconnect"}

    gate, ctx = gate_for(app)
    await gate(make_scope("POST", "/google/token"), disconnected, SentResponse())
    assert seen == [
        {"type": "http.request", "body": b"", "more_body": False},
        {"type": "http.disconnect"},
    ]
    assert ctx.journal.last("google").status is None


async def test_malformed_json_handles_streamed_bodies() -> None:
    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"16")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"a": 1, ', "more_body": True})
        await send({"type": "http.response.body", "body": b'"b": 2}', "more_body": False})

    gate, ctx = gate_for(streaming)
    ctx.faults.set("google", malformed_json=True)
    sent = SentResponse()
    await gate(make_scope("GET", "/google/x"), make_receive(), sent)
    assert sent.body == b'{"a": 1,'
    assert sent.headers["content-length"] == "8"
    with pytest.raises(json.JSONDecodeError):
        sent.json()


async def test_non_http_scopes_pass_through() -> None:
    stub = StubApp()
    gate, ctx = gate_for(stub)
    await gate({"type": "lifespan"}, make_receive(), SentResponse())
    assert stub.calls == [{"type": "lifespan"}]
    assert len(ctx.journal) == 0


async def test_control_requests_are_not_recorded() -> None:
    app = MockOAuthApp()
    sent = SentResponse()
    await app(make_scope("GET", "/_control/faults"), make_receive(), sent)
    assert sent.status == 200
    assert len(app.requests) == 0


class FakeTransport:
    def __init__(self) -> None:
        self.aborted = False

    def get_extra_info(self, name: str) -> None:
        return None  # e.g. a transport without a socket

    def abort(self) -> None:
        self.aborted = True


class FakeCycle:
    """Stands in for the server object whose bound ``send`` uvicorn hands out."""

    def __init__(self) -> None:
        self.transport = FakeTransport()

    async def send(self, message: Message) -> None:
        raise AssertionError("a reset sends nothing")


async def test_reset_aborts_the_servers_transport() -> None:
    cycle = FakeCycle()
    await reset_connection(cycle.send)
    assert cycle.transport.aborted
    with pytest.raises(ConnectionResetByMock):
        await reset_connection(SentResponse())
