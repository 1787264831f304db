"""Running the mock over real HTTP on a loopback port, from tests or scripts.

``async with MockOAuthServer() as mock:`` serves in the current event loop;
``with MockOAuthServer() as mock:`` serves from a background thread, for sync tests (and
async ones that prefer a server independent of their loop). Either way ``mock.url`` is the
base URL, and the handle steers and observes the server in process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import httpx

from apiconform.common.serving import Server
from apiconform.mocks.oauth_server.app import MockOAuthApp, ProviderEndpoints
from apiconform.mocks.oauth_server.config import MockOAuthConfig, ProviderName, build_config
from apiconform.mocks.oauth_server.driver import complete_authorization
from apiconform.mocks.oauth_server.errors import MockOAuthError
from apiconform.mocks.oauth_server.handle import MockHandle
from apiconform.mocks.oauth_server.state import Clock
from apiconform.mocks.oauth_server.transport import MockOAuthTransport, run_sync

# In-flight requests (an injected latency, say) get this long to finish at shutdown.
DRAIN_TIMEOUT = 1.0


class MockOAuthServer(MockHandle):
    """A mock OAuth server on ``host:port`` (127.0.0.1 and a free port by default).

    ``config`` and keyword ``overrides`` (``auto_approve=True``, ``faults={...}``,
    ``users={...}``, any :class:`MockOAuthConfig` field) set it up.
    """

    def __init__(
        self,
        config: MockOAuthConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> None:
        config = build_config(config, **overrides) if overrides else config
        self.app = MockOAuthApp(config, clock=clock)
        self.host = host
        self.port = port
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    # what tests use ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise MockOAuthError("the mock OAuth server is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._server.port}"

    def provider(self, name: ProviderName) -> ProviderEndpoints:
        """The URLs of provider ``name``'s endpoints on this server."""
        return self.app.endpoints(name, self.url)

    async def aauthorize(self, url: str, *, user: str | None = None, approve: bool = True) -> str:
        """Play the browser for the authorization request ``url``; returns the callback URL
        the provider redirected to (see :func:`complete_authorization`)."""
        transport = MockOAuthTransport(self.app)
        async with httpx.AsyncClient(transport=transport) as client:
            return await complete_authorization(client, url, user=user, approve=approve)

    def authorize(self, url: str, *, user: str | None = None, approve: bool = True) -> str:
        """:meth:`aauthorize` for sync code."""
        return run_sync(lambda: self.aauthorize(url, user=user, approve=approve))

    # in the current event loop ----------------------------------------------------------

    async def __aenter__(self) -> MockOAuthServer:
        self._server = Server(self.app, self.host, self.port, drain_timeout=DRAIN_TIMEOUT)
        await self._server.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        await self._server.stop()

    # in a background thread -------------------------------------------------------------

    def __enter__(self) -> MockOAuthServer:
        self._server = Server(self.app, self.host, self.port, drain_timeout=DRAIN_TIMEOUT)
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve_in_thread(ready, failure),),
            name="mock-oauth-server",
            daemon=True,
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    async def _serve_in_thread(self, ready: threading.Event, failure: list[BaseException]) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self._server.start()
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        try:
            await self._stop.wait()
        finally:
            await self._server.stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._thread is not None
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()


@asynccontextmanager
async def running_mock_oauth(
    config: MockOAuthConfig | None = None, **overrides: Any
) -> AsyncIterator[str]:
    """A mock OAuth server in the current event loop, yielding its base URL."""
    async with MockOAuthServer(config, **overrides) as server:
        yield server.url
