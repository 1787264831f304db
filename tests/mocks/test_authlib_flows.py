"""Authorization code + PKCE with authlib's httpx client, against each provider, over real
HTTP (the ``mock_oauth`` fixture) and through respx (``mock_oauth_respx``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client

from apiconform.mocks.oauth_server import MockOAuthServer, ProviderEndpoints
from apiconform.mocks.respx import MockOAuthRespx

REDIRECT = "http://127.0.0.1:8765/auth/callback"


@dataclass(frozen=True)
class Case:
    provider: str
    scope: str
    profile: str  # endpoint name
    extra: dict[str, str]
    email_of: str  # how to read the email from the profile
    params: dict[str, str] | None = None  # of the profile request
    # Facebook takes client credentials only as parameters, never by HTTP Basic
    auth_method: str = "client_secret_basic"


CASES = [
    Case("google", "openid email profile", "userinfo", {"access_type": "offline"}, "email"),
    Case("microsoft", "openid profile email offline_access", "me", {}, "mail"),
    Case("github", "read:user user:email", "user", {}, "email"),
    Case(
        "facebook",
        "email public_profile",
        "me",
        {},
        "email",
        {"fields": "id,name,email,picture"},
        auth_method="client_secret_post",
    ),
]
IDS = [case.provider for case in CASES]


def make_client(mock: Any, case: Case, **kwargs: Any) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=mock.client_id,
        client_secret=mock.client_secret,
        scope=case.scope,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method=case.auth_method,
        **kwargs,
    )


async def run_flow(
    mock: Any, case: Case, endpoints: ProviderEndpoints, client: AsyncOAuth2Client
) -> dict[str, Any]:
    """authorize -> (browser) -> fetch_token, as an application's login route would."""
    verifier = generate_token(48)
    nonce = generate_token(16)
    url, state = client.create_authorization_url(
        endpoints.authorize, code_verifier=verifier, nonce=nonce, **case.extra
    )
    callback = await mock.aauthorize(url)
    assert httpx.URL(callback).params["state"] == state
    token: dict[str, Any] = await client.fetch_token(
        endpoints.token,
        authorization_response=callback,
        code_verifier=verifier,
        headers={"accept": "application/json"},  # GitHub answers form-encoded otherwise
    )
    token["nonce"] = nonce
    return token


def verify_id_token(
    token: dict[str, Any], key: Any, endpoints: ProviderEndpoints
) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token["id_token"],
        key,
        algorithms=["RS256"],
        audience="apiconform-client",
        issuer=endpoints.issuer,
    )
    assert claims["nonce"] == token["nonce"]
    return claims


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_flow_over_real_http(mock_oauth: MockOAuthServer, case: Case) -> None:
    endpoints = mock_oauth.provider(case.provider)  # type: ignore[arg-type]
    async with make_client(mock_oauth, case) as client:
        token = await run_flow(mock_oauth, case, endpoints, client)
        profile = (await client.get(getattr(endpoints, case.profile), params=case.params)).json()
    assert profile[case.email_of].endswith("@example.com")
    token_request = mock_oauth.requests.last(case.provider, "token")
    assert token_request.form["code_verifier"]  # the client really sent PKCE
    if endpoints.jwks:
        # PyJWKClient fetches the JWKS with urllib: a second, independent HTTP client
        key = jwt.PyJWKClient(endpoints.jwks).get_signing_key_from_jwt(token["id_token"]).key
        verify_id_token(token, key, endpoints)


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_flow_through_respx_on_the_real_hosts(
    mock_oauth_respx: MockOAuthRespx, case: Case
) -> None:
    endpoints = mock_oauth_respx.provider(case.provider, real=True)  # type: ignore[arg-type]
    assert endpoints.token.startswith("https://")
    async with make_client(mock_oauth_respx, case) as client:
        token = await run_flow(mock_oauth_respx, case, endpoints, client)
        profile = (await client.get(getattr(endpoints, case.profile), params=case.params)).json()
        assert profile[case.email_of].endswith("@example.com")
        if endpoints.jwks:
            jwks = (await client.get(endpoints.jwks)).json()
            kid = jwt.get_unverified_header(token["id_token"])["kid"]
            key = jwt.PyJWKSet.from_dict(jwks)[kid].key
            claims = verify_id_token(token, key, endpoints)
            assert claims["iss"].startswith("https://")  # the real issuer, as configured
    assert mock_oauth_respx.requests.last(case.provider, "token").form["code_verifier"]


@pytest.mark.parametrize("case", CASES[:3], ids=IDS[:3])
async def test_refresh_with_authlib_after_the_access_token_expired(
    mock_oauth: MockOAuthServer, case: Case
) -> None:
    endpoints = mock_oauth.provider(case.provider)  # type: ignore[arg-type]
    profile_url = getattr(endpoints, case.profile)
    async with make_client(mock_oauth, case) as client:
        token = await run_flow(mock_oauth, case, endpoints, client)
        mock_oauth.clock.advance(3601)
        assert (await client.get(profile_url)).status_code == 401
        renewed = await client.refresh_token(
            endpoints.token,
            refresh_token=token["refresh_token"],
            headers={"accept": "application/json"},
        )
        assert renewed["refresh_token"] != token["refresh_token"]
        assert (await client.get(profile_url)).status_code == 200
        with pytest.raises(OAuthError):
            await client.refresh_token(
                endpoints.token,
                refresh_token=token["refresh_token"],
                headers={"accept": "application/json"},
            )


async def test_wrong_verifier_and_replay_surface_as_authlib_errors(
    mock_oauth: MockOAuthServer,
) -> None:
    case = CASES[0]
    endpoints = mock_oauth.provider("google")
    async with make_client(mock_oauth, case) as client:
        verifier = generate_token(48)
        url, _ = client.create_authorization_url(endpoints.authorize, code_verifier=verifier)
        callback = await mock_oauth.aauthorize(url)
        with pytest.raises(OAuthError, match="invalid_grant"):
            await client.fetch_token(
                endpoints.token, authorization_response=callback, code_verifier=generate_token(48)
            )
        await client.fetch_token(
            endpoints.token, authorization_response=callback, code_verifier=verifier
        )
        with pytest.raises(OAuthError, match="invalid_grant"):
            await client.fetch_token(
                endpoints.token, authorization_response=callback, code_verifier=verifier
            )


def test_sync_authlib_client_through_respx(mock_oauth_respx: MockOAuthRespx) -> None:
    endpoints = mock_oauth_respx.provider("github", real=True)
    with OAuth2Client(
        client_id=mock_oauth_respx.client_id,
        client_secret=mock_oauth_respx.client_secret,
        scope="user:email",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    ) as client:
        verifier = generate_token(48)
        url, _ = client.create_authorization_url(endpoints.authorize, code_verifier=verifier)
        callback = mock_oauth_respx.authorize(url)
        client.fetch_token(
            endpoints.token,
            authorization_response=callback,
            code_verifier=verifier,
            headers={"accept": "application/json"},
        )
        emails = client.get(endpoints.emails or "").json()
    assert emails[0]["primary"] is True
    assert mock_oauth_respx.routes["github"][0].called  # github.com
