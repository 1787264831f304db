"""An application with the auth feature on a real port, pointed at the mock OAuth server
(over real HTTP), on PostgreSQL when ``DATABASE_URL`` is set, else SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from apiconform.mocks.oauth_server import MockOAuthConfig, MockOAuthServer
from apiconform.reference.auth import Auth
from apiconform.reference.auth.accounts import Accounts
from apiconform.reference.auth.service import AuthService
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import Application, ApplicationFactory, AppRegistry
from apiconform.reference.store import Store

JSON = {"accept": "application/json"}


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class AuthApp:
    app: Application
    client: httpx.AsyncClient
    mock: MockOAuthServer
    clock: FakeClock
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def service(self) -> AuthService:
        found = self.app.container.resolve(AuthService)
        assert isinstance(found, AuthService)
        return found

    async def accounts(self) -> Accounts:
        return await self.service.accounts()

    async def start_login(self, provider: str, client: httpx.AsyncClient | None = None) -> str:
        """The provider URL the login redirected to."""
        response = await (client or self.client).get(f"/auth/{provider}")
        assert response.status_code == 302, response.text
        return str(response.headers["location"])

    async def login(
        self,
        provider: str,
        *,
        user: str | None = None,
        headers: dict[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """A whole login: start, consent at the mock, callback."""
        url = await self.start_login(provider, client)
        callback = await self.mock.aauthorize(url, user=user)
        return await (client or self.client).get(
            callback, headers=JSON if headers is None else headers
        )

    async def token(self, provider: str, **options: Any) -> str:
        response = await self.login(provider, **options)
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        assert isinstance(token, str)
        return token

    async def me(self, token: str) -> httpx.Response:
        return await self.client.get("/auth/me", headers={"authorization": f"Bearer {token}"})


@pytest.fixture
def mock_oauth_config() -> MockOAuthConfig:
    return MockOAuthConfig(auto_approve=True)


@pytest.fixture
def auth_config() -> dict[str, Any]:
    """Extra ``[auth]`` values for the app under test; override per module."""
    return {}


@pytest.fixture
async def auth_app(
    registry: AppRegistry,
    database_config: dict[str, str],
    mock_oauth: MockOAuthServer,
    auth_config: dict[str, Any],
) -> AsyncIterator[AuthApp]:
    clock = FakeClock()
    app = ApplicationFactory.create(
        id="auth-test",
        scope="agent",
        config={
            "port": 0,
            "database": database_config,
            "auth": {"mock_url": mock_oauth.url, **auth_config},
        },
        features=[ErrorHandling(), Store(), Auth(clock=clock)],
        registry=registry,
    )
    await app.start()
    assert app.address is not None
    async with httpx.AsyncClient(base_url=app.address, timeout=10) as client:
        yield AuthApp(app, client, mock_oauth, clock)
    await app.dispose()
