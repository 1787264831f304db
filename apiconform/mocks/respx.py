"""respx routes for Google, GitHub, Facebook and Microsoft, answered by the mock app.

The routes forward every matching request to a :class:`MockOAuthApp` in process (through
:class:`MockOAuthTransport`, i.e. httpx's ASGI transport), so an in-process test and an
over-the-wire test meet the same code. Two sets of routes, both on by default:

* the real hosts (``https://accounts.google.com``, ``https://oauth2.googleapis.com``,
  ``https://api.github.com``, ``https://graph.facebook.com``,
  ``https://login.microsoftonline.com/{tenant}``, ...): code with the providers' real URLs
  hard-wired runs unchanged, and discovery documents and issuers show the real URLs too;
* a made-up base URL (``http://mock-oauth.test``) with the same paths as a running mock
  (``/google/...``, ``/_control/...``).

Sync and async httpx clients both work. A sync client called inside a running event loop
needs the router made here (:class:`OAuthRouter`), which tells the routes which path
respx is on; with a plain ``respx.MockRouter`` that one case is not supported.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx
import respx

from apiconform.mocks.oauth_server.app import MockOAuthApp, ProviderEndpoints
from apiconform.mocks.oauth_server.config import (
    PROVIDERS,
    MockOAuthConfig,
    ProviderName,
    build_config,
)
from apiconform.mocks.oauth_server.driver import complete_authorization
from apiconform.mocks.oauth_server.handle import MockHandle
from apiconform.mocks.oauth_server.hosts import HOSTS
from apiconform.mocks.oauth_server.state import Clock
from apiconform.mocks.oauth_server.transport import MockOAuthTransport, run_sync

DEFAULT_BASE_URL = "http://mock-oauth.test"

# True while respx resolves a request of a sync client (set by OAuthRouter).
_SYNC_RESOLVE: ContextVar[bool] = ContextVar("apiconform_respx_sync", default=False)


class OAuthRouter(respx.MockRouter):
    """A respx router that lets the mock's routes tell sync clients from async ones."""

    def resolve(self, request: httpx.Request) -> Any:
        token = _SYNC_RESOLVE.set(True)
        try:
            return super().resolve(request)
        finally:
            _SYNC_RESOLVE.reset(token)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def add_oauth_routes(
    router: respx.Router,
    app: MockOAuthApp,
    *,
    base_url: str | None = DEFAULT_BASE_URL,
    real_hosts: bool = True,
) -> dict[str, list[respx.Route]]:
    """Add the mock's routes to ``router``; returns them by provider (plus ``"control"``
    for the control API under ``base_url``)."""
    transport = MockOAuthTransport(app)

    def answer(request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        if _SYNC_RESOLVE.get() or not _loop_running():
            return transport.handle_request(request)
        return transport.handle_async_request(request)

    routes: dict[str, list[respx.Route]] = {name: [] for name in PROVIDERS}
    if real_hosts:
        for provider, hosts in HOSTS.items():
            for host in hosts.values():
                route = router.route(
                    scheme="https", host=host.hostname, name=f"{provider}:{host.hostname}"
                )
                routes[provider].append(route.mock(side_effect=answer))
    if base_url:
        base = base_url.rstrip("/")
        for provider in PROVIDERS:
            route = router.route(url__startswith=f"{base}/{provider}/", name=f"{provider}:mock")
            routes[provider].append(route.mock(side_effect=answer))
        control = router.route(url__regex=rf"^{re.escape(base)}/(_control(/.*)?)?$", name="control")
        routes["control"] = [control.mock(side_effect=answer)]
    return routes


class MockOAuthRespx(MockHandle):
    """What :func:`mock_oauth_respx` yields: the app, the active router and its routes."""

    def __init__(
        self,
        app: MockOAuthApp,
        router: respx.MockRouter,
        routes: dict[str, list[respx.Route]],
        base_url: str,
    ) -> None:
        self.app = app
        self.router = router
        self.routes = routes
        self.url = base_url.rstrip("/")

    def provider(self, name: ProviderName, *, real: bool = False) -> ProviderEndpoints:
        """Provider ``name``'s URLs under the base URL, or on the real hosts."""
        return self.app.endpoints(name, self.url, real=real)

    async def aauthorize(self, url: str, *, user: str | None = None, approve: bool = True) -> str:
        """Play the browser for the authorization request ``url``; returns the callback URL."""
        async with httpx.AsyncClient(transport=MockOAuthTransport(self.app)) as client:
            return await complete_authorization(client, url, user=user, approve=approve)

    def authorize(self, url: str, *, user: str | None = None, approve: bool = True) -> str:
        """:meth:`aauthorize` for sync code."""
        return run_sync(lambda: self.aauthorize(url, user=user, approve=approve))


@contextmanager
def mock_oauth_respx(
    config: MockOAuthConfig | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    real_hosts: bool = True,
    assert_all_mocked: bool = True,
    clock: Clock | None = None,
    **overrides: Any,
) -> Iterator[MockOAuthRespx]:
    """Mock the four providers for every httpx client while the block runs.

    Requests to hosts the routes do not cover fail (``assert_all_mocked``), as respx does
    by default; add ``handle.router.route(...).pass_through()`` for ones that should not.
    """
    app = MockOAuthApp(build_config(config, **overrides), clock=clock)
    router = OAuthRouter(assert_all_called=False, assert_all_mocked=assert_all_mocked)
    routes = add_oauth_routes(router, app, base_url=base_url, real_hosts=real_hosts)
    with router:
        yield MockOAuthRespx(app, router, routes, base_url)
