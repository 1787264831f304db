"""The mocks as a pytest plugin: enable it with ``-p apiconform.mocks.pytest`` (or
``pytest_plugins = ["apiconform.mocks.pytest"]`` in a top-level conftest).

Fixtures:

* ``mock_oauth`` -- a :class:`MockOAuthServer` over real HTTP on a free 127.0.0.1 port,
  one per test;
* ``mock_oauth_respx`` -- the four providers mocked for every httpx client by respx,
  answered by the same app in process;
* ``mock_oauth_config`` -- the configuration both start from; override it in a conftest;
* ``redis_handle`` -- a Redis client: real (``REDIS_URL``), a container, or fakeredis;
* ``data_factory`` -- users, linked accounts, tokens, provider profiles, JWTs;
* ``request_factory`` -- Starlette requests, ASGI triples and a stub app, for unit tests of
  middleware and exception filters.

The marker ``@pytest.mark.mock_oauth(**options)`` sets configuration fields for one test
(``auto_approve=True``, ``faults={"google": {"outage": True}}``, ``users={...}``, ...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from apiconform.mocks.factories.asgi import RequestFactory
from apiconform.mocks.factories.data import DataFactory
from apiconform.mocks.oauth_server.config import MockOAuthConfig, build_config
from apiconform.mocks.oauth_server.server import MockOAuthServer
from apiconform.mocks.redis import RedisHandle, redis_client
from apiconform.mocks.respx import MockOAuthRespx
from apiconform.mocks.respx import mock_oauth_respx as _respx_mock

MARKER = (
    "mock_oauth(**options): configure the mock_oauth / mock_oauth_respx fixtures for this test "
    "(any MockOAuthConfig field: auto_approve=, faults={provider: {...}}, users={provider: "
    "[...]}, clients=[...], lifetimes={...}, pkce_plain=, require_pkce=, ...)"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest last, so a function's marker beats its class's and module's.
    for marker in reversed(list(request.node.iter_markers("mock_oauth"))):
        if marker.args:
            raise pytest.UsageError("@pytest.mark.mock_oauth takes keyword arguments only")
        options.update(marker.kwargs)
    return options


@pytest.fixture
def mock_oauth_config() -> MockOAuthConfig:
    """The configuration ``mock_oauth`` and ``mock_oauth_respx`` start from (the defaults);
    override this fixture to change it for a directory or module."""
    return MockOAuthConfig()


@pytest.fixture
def mock_oauth(
    request: pytest.FixtureRequest, mock_oauth_config: MockOAuthConfig
) -> Iterator[MockOAuthServer]:
    """A mock OAuth server on 127.0.0.1 (a background thread), stopped after the test."""
    config = build_config(mock_oauth_config, **_options(request))
    with MockOAuthServer(config) as server:
        yield server


@pytest.fixture
def mock_oauth_respx(
    request: pytest.FixtureRequest, mock_oauth_config: MockOAuthConfig
) -> Iterator[MockOAuthRespx]:
    """respx routes for the providers' real hosts and ``http://mock-oauth.test``."""
    config = build_config(mock_oauth_config, **_options(request))
    with _respx_mock(config) as handle:
        yield handle


_async_fixture: Callable[[Callable[[], AsyncIterator[RedisHandle]]], Any]
try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - then only asyncio-mode-agnostic runners work
    _async_fixture = pytest.fixture


@_async_fixture
async def redis_handle() -> AsyncIterator[RedisHandle]:
    """An async Redis client with a unique key prefix, cleaned up after the test."""
    async with redis_client() as handle:
        yield handle


@pytest.fixture
def data_factory() -> DataFactory:
    """Numbered users, linked accounts, tokens, provider profiles and JWTs."""
    return DataFactory()


@pytest.fixture
def request_factory() -> RequestFactory:
    """Requests, ASGI triples, a response recorder and a stub app."""
    return RequestFactory()
