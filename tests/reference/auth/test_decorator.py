"""``@oauth`` on a controller method registers the login and callback routes, with the
method's scopes, and hands the method the completed sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import Request

from apiconform.errors import ConfigError
from apiconform.mocks.oauth_server import MockOAuthServer
from apiconform.reference.auth import Auth, OAuthLogin, oauth
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import ApplicationFactory, AppRegistry, controller
from apiconform.reference.store import Store
from tests.reference.auth.conftest import JSON


@controller("shop")
class ShopLogin:
    @oauth(provider="github", scopes=["read:user"], callback_path="/github/callback")
    async def github(self, request: Request, login: OAuthLogin) -> dict[str, Any]:
        """Greets the signed-in user."""
        return {"welcome": login.user_id, "provider": login.provider, "linked": login.linked}

    @oauth(provider="google", callback_path="/google/done", login_path="/google/start")
    async def google(self, request: Request, login: OAuthLogin) -> None:
        return None

    @oauth(provider="facebook", callback_path="/facebook/back")
    async def facebook(self, request: Request, login: OAuthLogin) -> None:
        return None


@pytest.fixture
async def shop(
    registry: AppRegistry, database_config: dict[str, str], mock_oauth: MockOAuthServer
) -> AsyncIterator[httpx.AsyncClient]:
    app = ApplicationFactory.create(
        id="shop",
        scope="agent",
        config={"port": 0, "database": database_config, "auth": {"mock_url": mock_oauth.url}},
        controllers=[ShopLogin],
        features=[ErrorHandling(), Store(), Auth()],
        registry=registry,
    )
    await app.start()
    assert app.address is not None
    async with httpx.AsyncClient(base_url=app.address) as client:
        yield client
    await app.dispose()


async def test_the_decorated_method_gets_the_sign_in(
    shop: httpx.AsyncClient, mock_oauth: MockOAuthServer
) -> None:
    start = await shop.get("/shop/github")
    assert start.status_code == 302
    params = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    assert params["scope"] == "read:user"
    assert params["redirect_uri"] == str(shop.base_url).rstrip("/") + "/shop/github/callback"
    assert params["code_challenge_method"] == "S256"
    callback = await mock_oauth.aauthorize(start.headers["location"])
    done = await shop.get(callback, headers=JSON)
    assert done.status_code == 200, done.text
    assert done.json() == {"welcome": 1, "provider": "github", "linked": False}


async def test_a_method_returning_none_answers_with_the_session(
    shop: httpx.AsyncClient, mock_oauth: MockOAuthServer
) -> None:
    start = await shop.get("/shop/google/start")
    assert start.status_code == 302
    scope = parse_qs(urlsplit(start.headers["location"]).query)["scope"][0]
    assert scope == "openid email profile"  # the provider's configured scopes
    callback = await mock_oauth.aauthorize(start.headers["location"])
    assert urlsplit(callback).path == "/shop/google/done"
    done = await shop.get(callback, headers=JSON)
    assert done.json()["token_type"] == "bearer"
    me = await shop.get(
        "/auth/me", headers={"authorization": f"Bearer {done.json()['access_token']}"}
    )
    assert me.json()["email"] == "ada.lovelace@example.com"


async def test_the_decorated_callback_checks_the_state_and_handles_refusals(
    shop: httpx.AsyncClient,
) -> None:
    forged = await shop.get("/shop/facebook/back?code=abc&state=forged", headers=JSON)
    assert forged.status_code == 401
    declined = await shop.get("/shop/facebook/back?error=access_denied")
    assert declined.headers["location"] == "/auth/error?code=access_denied"
    start = await shop.get("/shop/facebook/back/login")
    assert start.status_code == 302  # a callback path without /callback: login is .../login


def test_a_provider_that_is_not_enabled_stops_the_start(registry: AppRegistry) -> None:
    with pytest.raises(ConfigError, match=r"ShopLogin\.github: @oauth provider 'github'"):
        ApplicationFactory.create(
            id="shop",
            scope="agent",
            config={"auth": {"providers": {"google": {"client_id": "a", "client_secret": "b"}}}},
            controllers=[ShopLogin],
            features=[ErrorHandling(), Store(), Auth()],
            registry=registry,
        )
