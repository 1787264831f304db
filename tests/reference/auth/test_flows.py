"""Full sign-in flows against the mock OAuth server over real HTTP, one per provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.reference.auth.conftest import AuthApp

PROVIDERS = ["google", "github", "facebook", "microsoft"]
EXPECTED = {
    "google": ("104857600000000000001", "ada.lovelace@example.com", "Ada Lovelace"),
    "github": ("5830001", "grace.hopper@example.com", "Grace Hopper"),
    "facebook": ("10160000000000001", "katherine.johnson@example.com", "Katherine Johnson"),
    "microsoft": (
        "00000000-0000-0000-a1b2-c3d4e5f60001",
        "alan.turing@example.com",
        "Alan Turing",
    ),
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_first_login_creates_the_user_and_returns_a_session(
    auth_app: AuthApp, provider: str
) -> None:
    response = await auth_app.login(provider)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    me = await auth_app.me(body["access_token"])
    assert me.status_code == 200
    user = me.json()
    provider_id, email, name = EXPECTED[provider]
    assert user["accounts"] == [{"provider": provider, "provider_id": provider_id}]
    assert (user["email"], user["name"], user["email_verified"]) == (email, name, True)
    assert user["last_login_at"]
    # the code really was exchanged, with PKCE, and the profile read
    token_request = auth_app.mock.requests.last(provider, "token")
    assert token_request.form.get("code_verifier") or token_request.query.get("code_verifier")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_login_redirect_carries_state_pkce_scopes_and_redirect_uri(
    auth_app: AuthApp, provider: str
) -> None:
    url = await auth_app.start_login(provider)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == auth_app.mock.client_id
    assert query["redirect_uri"] == f"{auth_app.app.address}/auth/{provider}/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43  # 256 random bits
    scopes = set(query["scope"].split())
    assert scopes == set(auth_app.service.providers[provider].scopes)  # type: ignore[index]
    assert ("nonce" in query) is (provider in ("google", "microsoft"))
    cookie = auth_app.client.cookies.jar
    assert any(c.name == "apiconform_oauth" for c in cookie)
