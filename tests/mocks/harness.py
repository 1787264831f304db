"""Driving the mock in process: authorize, exchange, call the profile endpoints."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from apiconform.mocks.oauth_server import (
    MockOAuthApp,
    MockOAuthTransport,
    ProviderEndpoints,
    build_config,
)
from apiconform.mocks.oauth_server.driver import complete_authorization
from apiconform.mocks.oauth_server.pkce import s256

BASE = "http://mock.test"
REDIRECT = "http://127.0.0.1:8765/callback"
SCOPES = {
    "google": "openid email profile",
    "microsoft": "openid profile email offline_access User.Read",
    "github": "read:user user:email",
    "facebook": "email public_profile",
}
PROFILE = {"google": "userinfo", "microsoft": "me", "github": "user", "facebook": "me"}


def new_verifier() -> str:
    return secrets.token_urlsafe(48)


def query(url: str) -> dict[str, str]:
    return dict(httpx.URL(url).params)


class Harness:
    """One app, one client, and the steps of a flow."""

    def __init__(self, app: MockOAuthApp, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self.verifier = new_verifier()

    def urls(self, provider: str) -> ProviderEndpoints:
        return self.app.endpoints(provider, BASE)  # type: ignore[arg-type]

    def authorize_url(self, provider: str, **params: Any) -> str:
        values: dict[str, Any] = {
            "client_id": "apiconform-client",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": SCOPES[provider],
            "state": "state-123",
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
        }
        if provider == "google":
            values["access_type"] = "offline"
        values.update(params)
        cleaned = {k: v for k, v in values.items() if v is not None}
        return str(httpx.URL(self.urls(provider).authorize, params=cleaned))

    async def callback(self, provider: str, **params: Any) -> str:
        """The URL the provider redirects to (approving on the consent page if shown)."""
        return await complete_authorization(self.client, self.authorize_url(provider, **params))

    async def code(self, provider: str, **params: Any) -> str:
        location = await self.callback(provider, **params)
        return query(location)["code"]

    async def token(self, provider: str, **form: Any) -> httpx.Response:
        values: dict[str, Any] = {
            "client_id": "apiconform-client",
            "client_secret": "apiconform-secret",
            **form,
        }
        cleaned = {k: v for k, v in values.items() if v is not None}
        return await self.client.post(self.urls(provider).token, data=cleaned)

    async def exchange(self, provider: str, code: str, **form: Any) -> httpx.Response:
        values: dict[str, Any] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": self.verifier,
            **form,
        }
        return await self.token(provider, **values)

    async def tokens(self, provider: str, **params: Any) -> dict[str, Any]:
        """A whole flow: authorize, then exchange; the token response's JSON."""
        response = await self.exchange(provider, await self.code(provider, **params))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def refresh(self, provider: str, refresh_token: str, **form: Any) -> httpx.Response:
        return await self.token(
            provider, grant_type="refresh_token", refresh_token=refresh_token, **form
        )

    async def profile(self, provider: str, access_token: str, **params: Any) -> httpx.Response:
        url = getattr(self.urls(provider), PROFILE[provider])
        headers = {"authorization": f"Bearer {access_token}"}
        return await self.client.get(url, headers=headers, params=params)


@asynccontextmanager
async def harness_for(**overrides: Any) -> AsyncIterator[Harness]:
    app = MockOAuthApp(build_config(**overrides))
    transport = MockOAuthTransport(app)
    headers = {"accept": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
        yield Harness(app, client)
