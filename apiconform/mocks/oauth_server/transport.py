"""An httpx transport that answers from a mock app in process, for sync and async clients.

Requests to the real provider hosts (``https://oauth2.googleapis.com/token``) are mapped
to the mock's paths (:func:`~apiconform.mocks.oauth_server.hosts.mock_path`); any other
host is taken as the mock's own address (``http://mock-oauth.test/google/token``). An
injected connection reset surfaces as :class:`httpx.ReadError`, which is what httpx raises
when the real server resets the connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from starlette.types import ASGIApp

from apiconform.mocks.oauth_server.gate import ConnectionResetByMock
from apiconform.mocks.oauth_server.hosts import mock_path

T = TypeVar("T")


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, inside a running event loop or not."""

    async def main() -> T:
        return await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # A loop is running in this thread (sync code called from async code): use another.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


class MockOAuthTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """``httpx.AsyncClient(transport=MockOAuthTransport(app))`` (or ``httpx.Client``)."""

    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        url = request.url
        path = mock_path(url.host, url.path)
        target = httpx.Request(
            request.method,
            url.copy_with(path=path) if path else url,
            headers=request.headers,
            content=body,
        )
        try:
            response = await self._asgi.handle_async_request(target)
        except ConnectionResetByMock:
            raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request) from None
        content = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return run_sync(lambda: self.handle_async_request(request))
