"""The headers middleware passes what is not HTTP straight through."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from apiconform.reference.throttling.middleware import HEADERS_KEY, RateLimitHeadersMiddleware


async def test_non_http_scopes_pass_through_untouched() -> None:
    seen: list[Scope] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        await send({"type": "lifespan.startup.complete"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    scope = {"type": "lifespan", HEADERS_KEY: [(b"x-ratelimit-limit", b"1")]}
    await RateLimitHeadersMiddleware(inner)(scope, receive, send)
    assert seen == [scope]
    assert sent == [{"type": "lifespan.startup.complete"}]


async def test_headers_the_response_has_are_not_repeated() -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        scope[HEADERS_KEY] = [(b"x-ratelimit-limit", b"5"), (b"ratelimit", b'"ip";r=4;t=9')]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"x-ratelimit-limit", b"9")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}

    await RateLimitHeadersMiddleware(inner)({"type": "http"}, receive, send)
    assert sent[0]["headers"] == [(b"x-ratelimit-limit", b"9"), (b"ratelimit", b'"ip";r=4;t=9')]
    assert sent[1] == {"type": "http.response.body", "body": b""}
