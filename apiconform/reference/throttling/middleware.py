"""Puts the rate-limit headers a route's guard decided on its response.

Guards run after routing, inside the route; the response starts further out, so the
guard leaves its headers in the ASGI scope and this middleware (guards layer) adds them
when the response starts. A 429 carries its own (they are on the exception).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS_KEY = "apiconform.ratelimit.headers"


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            found: list[tuple[bytes, bytes]] | None = scope.get(HEADERS_KEY)
            if message["type"] == "http.response.start" and found:
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in found if pair[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
