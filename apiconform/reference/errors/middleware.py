"""Pure-ASGI middleware of the error layer: the last-resort catcher and the body limit."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apiconform.common.logs import get_logger
from apiconform.reference.errors.pipeline import HANDLED_ATTR

if TYPE_CHECKING:
    from apiconform.reference.errors.pipeline import ExceptionPipeline

_log = get_logger("apiconform.errors")
# ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses
_DIGITS = re.compile(r"[0-9]+")


class ErrorMiddleware:
    """Answers any exception that escapes the app with a problem. If the response had
    already started, the exception is logged and reported (unless the pipeline already
    did) and re-raised, so the server aborts the connection: ending the body normally
    would pass a truncated response off as complete."""

    def __init__(self, app: ASGIApp, *, errors: ExceptionPipeline) -> None:
        self.app = app
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                if not getattr(exc, HANDLED_ATTR, False):
                    # the one error line, as for any failed request; the client gets an
                    # aborted connection, not a problem
                    self.errors.record(exc, Request(scope, receive), 500)
                raise
            request = Request(scope, receive)
            response = await self.errors.handle(exc, request)
            await response(scope, receive, send)


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body past the limit. A Starlette HTTPException, because
    FastAPI turns any other exception raised while it reads a body into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds the limit of {limit} bytes.")


class BodyLimitMiddleware:
    """Refuses bodies over ``limit`` bytes with 413: a larger declared ``Content-Length`` before
    anything is read; a chunked body while it streams, so it is never buffered whole."""

    def __init__(self, app: ASGIApp, *, limit: int, errors: ExceptionPipeline) -> None:
        self.app = app
        self.limit = limit
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: list[bytes] = []
        streamed = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared.append(value)
            elif name == b"transfer-encoding":
                streamed = True
        if declared:
            problem = self._check_declared(declared)
            if problem is not None:
                response = await self.errors.handle(problem, Request(scope))
                await response(scope, receive, send)
                return
        if not streamed:
            # no body, or one whose declared length is within the limit: the HTTP server
            # delivers at most that many bytes, so there is nothing to count
            await self.app(scope, receive, send)
            return
        received = 0
        limit = self.limit

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)

    def _check_declared(self, values: list[bytes]) -> Exception | None:
        """A bad or repeated ``Content-Length`` is a 400 (RFC 9110 section 8.6: a server
        may not guess which one frames the body); a larger one than the limit is a 413."""
        if len(values) > 1:
            return StarletteHTTPException(400, "Content-Length is given more than once.")
        text = values[0].decode("latin-1").strip()
        if not _DIGITS.fullmatch(text):
            return StarletteHTTPException(400, "Content-Length is not a non-negative integer.")
        if len(text) > 18 or int(text) > self.limit:
            return BodyTooLarge(self.limit)
        return None
