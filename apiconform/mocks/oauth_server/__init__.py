"""A mock OAuth/OIDC server for Google, GitHub, Facebook and Microsoft.

Start with :class:`MockOAuthServer` (over real HTTP), :class:`MockOAuthTransport` (in
process, for httpx clients), the respx routes in :mod:`apiconform.mocks.respx`, or the
pytest plugin :mod:`apiconform.mocks.pytest`. The README's "Mock OAuth server" section has
the details.
"""

from __future__ import annotations

from apiconform.mocks.oauth_server.app import MockOAuthApp, ProviderEndpoints
from apiconform.mocks.oauth_server.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    PROVIDERS,
    ClientConfig,
    Lifetimes,
    MockOAuthConfig,
    MockUser,
    ProviderName,
    build_config,
    load_config,
)
from apiconform.mocks.oauth_server.errors import MockOAuthError
from apiconform.mocks.oauth_server.faults import Faults
from apiconform.mocks.oauth_server.gate import ConnectionResetByMock
from apiconform.mocks.oauth_server.journal import RecordedRequest
from apiconform.mocks.oauth_server.server import MockOAuthServer, running_mock_oauth
from apiconform.mocks.oauth_server.state import Clock
from apiconform.mocks.oauth_server.transport import MockOAuthTransport

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "PROVIDERS",
    "ClientConfig",
    "Clock",
    "ConnectionResetByMock",
    "Faults",
    "Lifetimes",
    "MockOAuthApp",
    "MockOAuthConfig",
    "MockOAuthError",
    "MockOAuthServer",
    "MockOAuthTransport",
    "MockUser",
    "ProviderEndpoints",
    "ProviderName",
    "RecordedRequest",
    "build_config",
    "load_config",
    "running_mock_oauth",
]
