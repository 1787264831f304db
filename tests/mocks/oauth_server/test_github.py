"""GitHub's endpoint shapes."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from apiconform.mocks.oauth_server import MockUser
from tests.mocks.harness import BASE, REDIRECT, Harness, harness_for, query


async def test_access_token_is_form_encoded_unless_json_is_accepted(oauth: Harness) -> None:
    code = await oauth.code("github")
    response = await oauth.client.post(
        oauth.urls("github").token,
        data={
            "client_id": "apiconform-client",
            "client_secret": "apiconform-secret",
            "code": code,
            "code_verifier": oauth.verifier,
        },
        headers={"accept": "*/*"},
    )
    assert response.headers["content-type"].startswith("application/x-www-form-urlencoded")
    form = parse_qs(response.text)
    assert form["token_type"] == ["bearer"]
    assert form["scope"] == ["read:user,user:email"]  # comma-separated, as GitHub does
    assert form["access_token"][0].startswith("gho_")
    assert form["refresh_token"][0].startswith("ghr_")
    json_tokens = await oauth.tokens("github")
    assert json_tokens["scope"] == "read:user,user:email"
    assert json_tokens["refresh_token_expires_in"] == 15_897_600


async def test_errors_are_http_200_with_githubs_codes(oauth: Harness) -> None:
    code = await oauth.code("github")
    await oauth.exchange("github", code)
    replay = await oauth.exchange("github", code)
    assert replay.status_code == 200
    assert replay.json()["error"] == "bad_verification_code"
    assert replay.json()["error_uri"].endswith("#bad_verification_code")
    bad = await oauth.exchange("github", "x", client_secret="nope")
    assert bad.json()["error"] == "incorrect_client_credentials"
    refresh = await oauth.refresh("github", "ghr_unknown")
    assert refresh.json()["error"] == "bad_refresh_token"
    grant = await oauth.token("github", grant_type="device_code")
    assert grant.json()["error"] == "unsupported_grant_type"
    tokens = await oauth.tokens("github")
    scope = await oauth.refresh("github", tokens["refresh_token"], scope="repo")
    assert scope.json()["error"] == "invalid_scope"
    form = await oauth.client.post(
        oauth.urls("github").token,
        data={"client_id": "apiconform-client", "client_secret": "apiconform-secret", "code": "x"},
        headers={"accept": "application/x-www-form-urlencoded"},
    )
    assert parse_qs(form.text)["error"] == ["bad_verification_code"]


async def test_refresh_tokens_expire_when_github_says_they_do(oauth: Harness) -> None:
    # Without a configured lifetime GitHub's own six months apply, advertised and enforced.
    tokens = await oauth.tokens("github")
    assert tokens["refresh_token_expires_in"] == 15_897_600
    oauth.app.clock.advance(15_897_600 - 1)
    renewed = (await oauth.refresh("github", tokens["refresh_token"])).json()
    assert renewed["refresh_token_expires_in"] == 15_897_600  # a rotated one lives as long
    oauth.app.clock.advance(15_897_600)
    expired = await oauth.refresh("github", renewed["refresh_token"])
    assert expired.json()["error"] == "bad_refresh_token"


async def test_a_configured_refresh_lifetime_is_advertised_and_enforced() -> None:
    async with harness_for(auto_approve=True, lifetimes={"refresh_token": 100}) as oauth:
        tokens = await oauth.tokens("github")
        assert tokens["refresh_token_expires_in"] == 100
        oauth.app.clock.advance(101)
        expired = await oauth.refresh("github", tokens["refresh_token"])
        assert expired.json()["error"] == "bad_refresh_token"


async def test_token_parameters_may_come_in_the_query_string(oauth: Harness) -> None:
    code = await oauth.code("github", code_challenge=None, code_challenge_method=None)
    params = {
        "client_id": "apiconform-client",
        "client_secret": "apiconform-secret",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    response = await oauth.client.post(oauth.urls("github").token, params=params)
    assert response.json()["token_type"] == "bearer"


async def test_user_and_emails(oauth: Harness) -> None:
    tokens = await oauth.tokens("github")
    user = await oauth.profile("github", tokens["access_token"])
    assert user.headers["x-oauth-scopes"] == "read:user, user:email"
    body = user.json()
    assert body["id"] == 5830001
    assert body["login"] == "gracehopper"
    assert body["email"] == "grace.hopper@example.com"
    assert body["avatar_url"] == "https://example.com/avatars/grace.png"
    assert body["url"] == f"{BASE}/github/api/users/gracehopper"
    assert body["html_url"] == f"{BASE}/github/gracehopper"
    emails = await oauth.client.get(
        oauth.urls("github").emails or "",
        headers={"authorization": f"token {tokens['access_token']}"},
    )
    assert emails.json() == [
        {
            "email": "grace.hopper@example.com",
            "primary": True,
            "verified": True,
            "visibility": "public",
        }
    ]


async def test_private_email_is_null_on_user_but_listed_in_emails() -> None:
    hidden = MockUser(id="42", name="Linus", email="linus@example.com", email_public=False)
    async with harness_for(auto_approve=True, users={"github": [hidden]}) as oauth:
        tokens = await oauth.tokens("github")
        user = (await oauth.profile("github", tokens["access_token"])).json()
        assert user["email"] is None
        assert user["login"] == "linus"
        headers = {"authorization": f"Bearer {tokens['access_token']}"}
        emails = (await oauth.client.get(oauth.urls("github").emails or "", headers=headers)).json()
        assert emails[0]["visibility"] == "private"


@pytest.mark.parametrize(
    ("header", "message"), [("", "Requires authentication"), ("token x", "Bad credentials")]
)
async def test_bad_credentials(oauth: Harness, header: str, message: str) -> None:
    headers = {"authorization": header} if header else {}
    response = await oauth.client.get(oauth.urls("github").user or "", headers=headers)
    assert response.status_code == 401
    assert response.json()["message"] == message
    emails = await oauth.client.get(oauth.urls("github").emails or "", headers=headers)
    assert emails.status_code == 401


async def test_deny_carries_githubs_error_description() -> None:
    async with harness_for() as oauth:
        from apiconform.mocks.oauth_server.driver import complete_authorization

        location = await complete_authorization(
            oauth.client, oauth.authorize_url("github"), approve=False
        )
        params = query(location)
        assert params["error"] == "access_denied"
        assert params["error_description"] == "The user has denied your application access."
        assert params["state"] == "state-123"


async def test_login_param_picks_the_user() -> None:
    users = [
        MockUser(id="1", name="One", email="one@x.io"),
        MockUser(id="2", name="Two", username="two"),
    ]
    async with harness_for(auto_approve=True, users={"github": users}) as oauth:
        tokens = await oauth.tokens("github", login="two")
        assert (await oauth.profile("github", tokens["access_token"])).json()["id"] == 2
        unknown = await oauth.tokens("github", login="nobody")
        assert (await oauth.profile("github", unknown["access_token"])).json()["id"] == 1


async def test_kept_refresh_tokens_are_not_sent_again() -> None:
    async with harness_for(auto_approve=True, rotate_refresh_tokens=False) as oauth:
        tokens = await oauth.tokens("github")
        renewed = (await oauth.refresh("github", tokens["refresh_token"])).json()
        assert "refresh_token" not in renewed
        assert renewed["access_token"].startswith("gho_")


def test_github_has_no_id_token() -> None:
    from apiconform.mocks.oauth_server.app import MockOAuthApp
    from apiconform.mocks.oauth_server.errors import MockOAuthError

    github = MockOAuthApp().providers["github"]
    with pytest.raises(MockOAuthError, match="github is not an OpenID Connect provider"):
        github.id_token(None, None, None, nonce=False)  # type: ignore[arg-type]
