"""Facebook's endpoint shapes."""

from __future__ import annotations

from apiconform.mocks.oauth_server import DEFAULT_CLIENT_ID, ClientConfig, MockUser
from tests.mocks.harness import BASE, REDIRECT, Harness, harness_for, query


async def test_redirect_has_facebooks_fragment_and_no_refresh_token(oauth: Harness) -> None:
    redirect = await oauth.client.get(oauth.authorize_url("facebook"))
    location = redirect.headers["location"]
    assert location.endswith("#_=_")
    assert "#" not in await oauth.callback("facebook")  # what the callback endpoint sees
    tokens = await oauth.exchange("facebook", query(location)["code"])
    assert set(tokens.json()) == {"access_token", "token_type", "expires_in"}
    assert tokens.json()["token_type"] == "bearer"


async def test_versioned_paths_and_get_token_endpoint(oauth: Harness) -> None:
    url = oauth.authorize_url("facebook").replace("/facebook/dialog", "/facebook/v19.0/dialog")
    from apiconform.mocks.oauth_server.driver import complete_authorization

    code = query(await complete_authorization(oauth.client, url))["code"]
    response = await oauth.client.get(
        f"{BASE}/facebook/v19.0/oauth/access_token",
        params={
            "client_id": "apiconform-client",
            "client_secret": "apiconform-secret",
            "redirect_uri": REDIRECT,
            "code": code,
            "code_verifier": oauth.verifier,
        },
    )
    token = response.json()["access_token"]
    me = await oauth.client.get(f"{BASE}/facebook/v19.0/me", params={"access_token": token})
    assert me.json() == {"id": "10160000000000001", "name": "Katherine Johnson"}


async def test_me_returns_the_fields_asked_for(oauth: Harness) -> None:
    tokens = await oauth.tokens("facebook")
    me = await oauth.profile(
        "facebook", tokens["access_token"], fields="id,name,email,picture.type(large),first_name"
    )
    assert me.json() == {
        "id": "10160000000000001",
        "name": "Katherine Johnson",
        "email": "katherine.johnson@example.com",
        "picture": {
            "data": {
                "height": 50,
                "width": 50,
                "is_silhouette": False,
                "url": "https://example.com/avatars/katherine.png",
            }
        },
        "first_name": "Katherine",
    }


async def test_email_needs_the_email_permission(oauth: Harness) -> None:
    tokens = await oauth.tokens("facebook", scope="public_profile")
    me = await oauth.profile("facebook", tokens["access_token"], fields="id,email")
    assert me.json() == {"id": "10160000000000001"}


async def test_unknown_field_is_an_oauth_exception(oauth: Harness) -> None:
    tokens = await oauth.tokens("facebook")
    me = await oauth.profile("facebook", tokens["access_token"], fields="id,birthday")
    assert me.status_code == 400
    error = me.json()["error"]
    assert error["type"] == "OAuthException"
    assert error["code"] == 100
    assert "(birthday)" in error["message"]


async def test_token_errors_have_facebooks_shape(oauth: Harness) -> None:
    bad_secret = await oauth.exchange("facebook", "x", client_secret="nope")
    assert bad_secret.status_code == 400
    assert bad_secret.json()["error"]["code"] == 1
    assert "fbtrace_id" in bad_secret.json()["error"]
    unknown_app = await oauth.exchange("facebook", "x", client_id="123")
    assert unknown_app.json()["error"]["code"] == 101


async def test_fb_exchange_token_gives_a_long_lived_token(oauth: Harness) -> None:
    short = await oauth.tokens("facebook")
    response = await oauth.token(
        "facebook", grant_type="fb_exchange_token", fb_exchange_token=short["access_token"]
    )
    long_lived = response.json()
    assert long_lived["expires_in"] == 60 * 86400
    assert (await oauth.profile("facebook", long_lived["access_token"])).status_code == 200
    invalid = await oauth.token(
        "facebook", grant_type="fb_exchange_token", fb_exchange_token="EAAx"
    )
    assert invalid.json()["error"]["code"] == 190
    refresh = await oauth.token("facebook", grant_type="refresh_token", refresh_token="r")
    assert refresh.json()["error"]["code"] == 190  # Facebook has no refresh tokens
    other = await oauth.token("facebook", grant_type="client_credentials")
    assert other.json()["error"]["code"] == 100


async def test_fb_exchange_token_refuses_a_token_of_another_client() -> None:
    other = ClientConfig(client_id="b-app", client_secret="b-secret")
    async with harness_for(
        auto_approve=True, clients=[ClientConfig(client_id=DEFAULT_CLIENT_ID), other]
    ) as oauth:
        short = await oauth.tokens("facebook")  # issued to the default client
        stolen = await oauth.token(
            "facebook",
            grant_type="fb_exchange_token",
            fb_exchange_token=short["access_token"],
            client_id="b-app",
            client_secret="b-secret",
        )
        assert stolen.status_code == 400
        assert stolen.json()["error"]["code"] == 100
        assert "another client" in stolen.json()["error"]["message"]
        assert [t.authorization.client_id for t in oauth.app.store.tokens()] == [DEFAULT_CLIENT_ID]
        own = await oauth.token(
            "facebook", grant_type="fb_exchange_token", fb_exchange_token=short["access_token"]
        )
        assert own.status_code == 200


async def test_access_token_errors(oauth: Harness) -> None:
    missing = await oauth.client.get(oauth.urls("facebook").me or "")
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == 2500
    tokens = await oauth.tokens("facebook")
    oauth.app.clock.advance(3601)
    expired = await oauth.profile("facebook", tokens["access_token"])
    assert (expired.json()["error"]["code"], expired.json()["error"]["error_subcode"]) == (190, 463)


async def test_user_without_picture_gets_the_silhouette() -> None:
    plain = MockUser(id="7", name="Cher", email="cher@example.com")
    async with harness_for(auto_approve=True, users={"facebook": [plain]}) as oauth:
        tokens = await oauth.tokens("facebook")
        me = (
            await oauth.profile("facebook", tokens["access_token"], fields="picture,last_name")
        ).json()
        assert me["picture"]["data"]["is_silhouette"] is True
        assert me["last_name"] == ""


async def test_deny_carries_facebooks_error_parameters() -> None:
    from apiconform.mocks.oauth_server.driver import complete_authorization

    async with harness_for() as oauth:
        location = await complete_authorization(
            oauth.client, oauth.authorize_url("facebook"), approve=False
        )
        params = query(location)
        assert (params["error"], params["error_reason"], params["error_code"]) == (
            "access_denied",
            "user_denied",
            "200",
        )
