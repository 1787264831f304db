"""Python OAuth clients log in against the mock over real HTTP, with nothing changed but the
endpoint URLs and the credentials: authorization code (with PKCE where the library does
it), token exchange, profile, then a refresh (Google, GitHub, Microsoft) or Facebook's
long-lived token exchange, and the profile again with the renewed token.

Where a library names the providers' URLs itself (httpx-oauth's provider clients), only
those URLs are pointed at the mock: the instance's endpoint attributes and the module's
profile URL constants, which is what a test of an application using them would patch.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from httpx_oauth.clients import facebook as hx_facebook
from httpx_oauth.clients import github as hx_github
from httpx_oauth.clients import google as hx_google
from httpx_oauth.clients import microsoft as hx_microsoft
from httpx_oauth.clients.openid import OpenID
from httpx_oauth.oauth2 import BaseOAuth2
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session
from requests_oauthlib.compliance_fixes import facebook_compliance_fix

from apiconform.mocks.oauth_server import MockOAuthServer
from apiconform.mocks.oauth_server.pkce import s256
from tests.mocks.interop.expect import REDIRECT, USERS, Login, browse, check_login

SCOPES = {
    "google": ["openid", "email", "profile"],
    "github": ["read:user", "user:email"],
    "facebook": ["email", "public_profile"],
    "microsoft": ["openid", "profile", "email", "offline_access", "User.Read"],
}
# What each provider needs in the authorization request for a refresh token.
OFFLINE = {"google": {"access_type": "offline"}}
PROFILE = {"google": "userinfo", "github": "user", "facebook": "me", "microsoft": "me"}
PROFILE_PARAMS = {"facebook": {"fields": "id,name,email"}}


def read_profile(provider: str, profile: dict[str, Any], emails: Any = None) -> tuple[str, str]:
    """The user id and email an application takes from the provider's profile."""
    if provider == "google":
        return profile["sub"], profile["email"]
    if provider == "microsoft":
        return profile["id"], profile["mail"]
    if provider == "github":
        primary = next(e["email"] for e in emails if e["primary"])
        return str(profile["id"]), primary
    return profile["id"], profile["email"]


# authlib ---------------------------------------------------------------------------------


async def authlib_login(mock: MockOAuthServer, provider: str) -> Login:
    urls = mock.provider(provider)  # type: ignore[arg-type]
    profile_url = getattr(urls, PROFILE[provider])
    # Facebook takes client credentials only as parameters (authlib's default is Basic).
    method = "client_secret_post" if provider == "facebook" else "client_secret_basic"
    # GitHub answers the token endpoint form-encoded unless asked for JSON.
    accept = {"accept": "application/json"}
    async with AsyncOAuth2Client(
        client_id=mock.client_id,
        client_secret=mock.client_secret,
        scope=" ".join(SCOPES[provider]),
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method=method,
    ) as client:

        async def profile() -> tuple[str, str]:
            params = PROFILE_PARAMS.get(provider)
            body = (await client.get(profile_url, params=params)).json()
            emails = (await client.get(urls.emails)).json() if urls.emails else None
            return read_profile(provider, body, emails)

        verifier = generate_token(48)
        url, _ = client.create_authorization_url(
            urls.authorize, code_verifier=verifier, **OFFLINE.get(provider, {})
        )
        token = await client.fetch_token(
            urls.token,
            authorization_response=browse(url),
            code_verifier=verifier,
            headers=accept,
        )
        user_id, email = await profile()
        login = Login(user_id, email, token["access_token"], token.get("refresh_token"))
        if login.refresh_token:
            renewed = await client.refresh_token(
                urls.token, refresh_token=login.refresh_token, headers=accept
            )
        else:
            renewed = await client.fetch_token(
                urls.token, grant_type="fb_exchange_token", fb_exchange_token=login.access_token
            )
        login.renewed_token = renewed["access_token"]
        login.renewed_user_id = (await profile())[0]
    return login


# httpx-oauth -----------------------------------------------------------------------------


def httpx_oauth_client(
    mock: MockOAuthServer, provider: str, monkeypatch: pytest.MonkeyPatch
) -> BaseOAuth2[Any]:
    """The library's client for ``provider``, its URLs pointed at the mock."""
    urls = mock.provider(provider)  # type: ignore[arg-type]
    secret = mock.client_secret or ""
    client: BaseOAuth2[Any]
    if provider == "google":
        client = hx_google.GoogleOAuth2(mock.client_id, secret, scopes=SCOPES[provider])
        monkeypatch.setattr(hx_google, "PROFILE_ENDPOINT", urls.people)
    elif provider == "github":
        client = hx_github.GitHubOAuth2(mock.client_id, secret, scopes=SCOPES[provider])
        monkeypatch.setattr(hx_github, "PROFILE_ENDPOINT", urls.user)
        monkeypatch.setattr(hx_github, "EMAILS_ENDPOINT", urls.emails)
    elif provider == "facebook":
        client = hx_facebook.FacebookOAuth2(mock.client_id, secret, scopes=SCOPES[provider])
        monkeypatch.setattr(hx_facebook, "PROFILE_ENDPOINT", urls.me)
    else:
        client = hx_microsoft.MicrosoftGraphOAuth2(mock.client_id, secret, scopes=SCOPES[provider])
        monkeypatch.setattr(hx_microsoft, "PROFILE_ENDPOINT", urls.me)
    client.authorize_endpoint = urls.authorize
    client.access_token_endpoint = urls.token
    client.refresh_token_endpoint = urls.token
    return client


async def httpx_oauth_login(client: BaseOAuth2[Any], provider: str, **extras: str) -> Login:
    verifier = generate_token(48)
    url = await client.get_authorization_url(
        REDIRECT,
        state=generate_token(16),
        code_challenge=s256(verifier),
        code_challenge_method="S256",
        extras_params={**OFFLINE.get(provider, {}), **extras} or None,
    )
    code = httpx.URL(browse(url)).params["code"]
    token = await client.get_access_token(code, REDIRECT, code_verifier=verifier)
    user_id, email = await client.get_id_email(token["access_token"])
    login = Login(user_id, email, token["access_token"], token.get("refresh_token"))
    if login.refresh_token:
        renewed = await client.refresh_token(login.refresh_token)
    else:
        assert isinstance(client, hx_facebook.FacebookOAuth2)
        renewed = await client.get_long_lived_access_token(login.access_token)
    login.renewed_token = renewed["access_token"]
    login.renewed_user_id = (await client.get_id_email(login.renewed_token))[0]
    return login


# requests-oauthlib -----------------------------------------------------------------------


def requests_oauthlib_login(mock: MockOAuthServer, provider: str) -> Login:
    urls = mock.provider(provider)  # type: ignore[arg-type]
    profile_url = getattr(urls, PROFILE[provider])
    session = OAuth2Session(
        mock.client_id, redirect_uri=REDIRECT, scope=SCOPES[provider], pkce="S256"
    )
    if provider == "facebook":
        session = facebook_compliance_fix(session)
    # Facebook needs the client id and secret as parameters, not HTTP Basic (the library's
    # default); requests-oauthlib sends them so with include_client_id.
    body_credentials = provider == "facebook"

    def profile() -> tuple[str, str]:
        body = session.get(profile_url, params=PROFILE_PARAMS.get(provider), timeout=10).json()
        emails = session.get(urls.emails, timeout=10).json() if urls.emails else None
        return read_profile(provider, body, emails)

    url, _ = session.authorization_url(urls.authorize, **OFFLINE.get(provider, {}))
    token = session.fetch_token(
        urls.token,
        client_secret=mock.client_secret,
        authorization_response=browse(url),
        include_client_id=body_credentials or None,
        timeout=10,
    )
    user_id, email = profile()
    login = Login(user_id, email, token["access_token"], token.get("refresh_token"))
    if login.refresh_token:
        renewed = session.refresh_token(
            urls.token,
            refresh_token=login.refresh_token,
            auth=HTTPBasicAuth(mock.client_id, mock.client_secret or ""),
            timeout=10,
        )
    else:
        # Facebook's long-lived token: a plain GET, as Facebook documents it
        exchange = session.get(
            urls.token,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": mock.client_id,
                "client_secret": mock.client_secret,
                "fb_exchange_token": login.access_token,
            },
            timeout=10,
        )
        renewed = exchange.json()
        session.token = {**session.token, "access_token": renewed["access_token"]}
    login.renewed_token = renewed["access_token"]
    login.renewed_user_id = profile()[0]
    return login


# the matrix ------------------------------------------------------------------------------

PROVIDERS = ["google", "github", "facebook", "microsoft"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_authlib_logs_in(mock_oauth: MockOAuthServer, provider: str) -> None:
    login = await authlib_login(mock_oauth, provider)
    check_login(mock_oauth, provider, login)
    assert mock_oauth.requests.find(provider, "token")[0].form["code_verifier"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_httpx_oauth_logs_in(
    mock_oauth: MockOAuthServer, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = httpx_oauth_client(mock_oauth, provider, monkeypatch)
    login = await httpx_oauth_login(client, provider)
    user_id, email = USERS[provider]
    if provider == "google":  # the People API names the person by resource name
        user_id = f"people/{user_id}"
    if provider == "microsoft":  # the library reports the user principal name as the email
        email = "alan.turing@example.com"
    check_login(mock_oauth, provider, login, user_id=user_id, email=email)
    assert mock_oauth.requests.find(provider, "token")[0].form["code_verifier"]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_httpx_oauth_openid_client_logs_in_through_discovery(
    mock_oauth: MockOAuthServer, provider: str
) -> None:
    urls = mock_oauth.provider(provider)  # type: ignore[arg-type]
    # the client fetches the discovery document in its constructor, with blocking I/O
    client = await asyncio.to_thread(
        OpenID,
        mock_oauth.client_id,
        mock_oauth.client_secret or "",
        urls.discovery or "",
        base_scopes=SCOPES[provider],
    )
    login = await httpx_oauth_login(client, provider)
    token_request = mock_oauth.requests.find(provider, "token")[0]
    # the first method the discovery document names, as the library picks it
    assert token_request.form["client_secret"] == mock_oauth.client_secret
    sub = None
    if provider == "microsoft":  # Microsoft's sub is pairwise: not the object id
        from apiconform.mocks.oauth_server.microsoft import pairwise_sub

        sub = pairwise_sub(USERS[provider][0], mock_oauth.client_id)
    check_login(mock_oauth, provider, login, user_id=sub)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_requests_oauthlib_logs_in(
    mock_oauth: MockOAuthServer, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # oauthlib insists on https unless told otherwise; the mock serves plain http
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    if provider == "github":
        # GitHub returns the granted scopes comma-separated, which oauthlib reads as a
        # changed scope: apps that ask GitHub for scopes relax that check, as here
        monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    login = await asyncio.to_thread(requests_oauthlib_login, mock_oauth, provider)
    check_login(mock_oauth, provider, login)
    token_request = mock_oauth.requests.find(provider, "token")[0]
    assert token_request.form["code_verifier"]
    if provider == "facebook":
        assert token_request.form["client_id"] == mock_oauth.client_id
    else:
        assert token_request.headers["authorization"].startswith("Basic ")
