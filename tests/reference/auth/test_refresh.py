"""Calling a provider for a user: an expired access token is refreshed once, the rotated
tokens stored, without a new login."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reference.auth.conftest import JSON, AuthApp


@pytest.fixture
def auth_config() -> dict[str, Any]:
    return {"session_ttl": 86400}  # the app's own session outlives the provider token


def refreshes(auth_app: AuthApp, provider: str) -> int:
    return sum(
        1
        for r in auth_app.mock.requests.find(provider, "token")
        if r.form.get("grant_type") == "refresh_token"
    )


@pytest.mark.parametrize("provider", ["google", "microsoft", "github"])
async def test_an_expired_token_is_refreshed_exactly_once(auth_app: AuthApp, provider: str) -> None:
    token = await auth_app.token(provider)
    headers = {"authorization": f"Bearer {token}", **JSON}
    fresh = await auth_app.client.get(f"/auth/{provider}/profile", headers=headers)
    assert fresh.status_code == 200, fresh.text
    assert refreshes(auth_app, provider) == 0
    user_id = (await auth_app.me(token)).json()["id"]
    before = await (await auth_app.accounts()).tokens(user_id, provider)
    auth_app.clock.advance(3601)
    auth_app.mock.clock.advance(3601)
    for _ in range(2):
        response = await auth_app.client.get(f"/auth/{provider}/profile", headers=headers)
        assert response.status_code == 200, response.text
    assert refreshes(auth_app, provider) == 1
    after = await (await auth_app.accounts()).tokens(user_id, provider)
    assert before is not None
    assert after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # rotated, and the new one kept


async def test_the_provider_call_syncs_the_profile(auth_app: AuthApp) -> None:
    token = await auth_app.token("facebook")
    auth_app.mock.faults.set("facebook", changed_profile=True)
    headers = {"authorization": f"Bearer {token}"}
    response = await auth_app.client.get("/auth/facebook/profile", headers=headers)
    assert response.json()["name"] == "Katherine Johnson (changed)"
    assert (await auth_app.me(token)).json()["name"] == "Katherine Johnson (changed)"


async def test_an_expired_token_without_refresh_token_needs_a_new_login(
    auth_app: AuthApp,
) -> None:
    token = await auth_app.token("facebook")  # Facebook has no refresh tokens
    auth_app.clock.advance(7200)  # past the provider token's hour, inside the session's day
    response = await auth_app.client.get(
        "/auth/facebook/profile", headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.json()["type"].endswith("/problems/oauth-login-failed")


async def test_a_provider_down_during_a_call_is_a_503(auth_app: AuthApp) -> None:
    token = await auth_app.token("github")
    auth_app.mock.faults.set("github", outage=True)
    response = await auth_app.client.get(
        "/auth/github/profile", headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 503
    assert response.json()["provider"] == "github"


async def test_a_provider_call_needs_a_linked_account(auth_app: AuthApp) -> None:
    token = await auth_app.token("github")
    response = await auth_app.client.get(
        "/auth/google/profile", headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_a_sign_in_with_a_short_lived_access_token_works_and_refreshes_later(
    auth_app: AuthApp, provider: str
) -> None:
    # shorter than authlib's default 60 s of leeway: the sign-in must not call it expired
    auth_app.mock.faults.set(provider, access_token_lifetime=2)
    token = await auth_app.token(provider)
    auth_app.mock.faults.clear(provider)
    headers = {"authorization": f"Bearer {token}", **JSON}
    auth_app.clock.advance(3)
    auth_app.mock.clock.advance(3)
    response = await auth_app.client.get(f"/auth/{provider}/profile", headers=headers)
    assert response.status_code == 200, response.text
    assert refreshes(auth_app, provider) == 1
