"""Google's endpoint shapes."""

from __future__ import annotations

import jwt
import pytest

from tests.mocks.harness import BASE, Harness, query


async def test_discovery_points_back_at_the_mock(oauth: Harness) -> None:
    document = (await oauth.client.get(oauth.urls("google").discovery or "")).json()
    assert document["issuer"] == f"{BASE}/google"
    assert document["authorization_endpoint"] == f"{BASE}/google/o/oauth2/v2/auth"
    assert document["token_endpoint"] == f"{BASE}/google/token"
    assert document["userinfo_endpoint"] == f"{BASE}/google/v1/userinfo"
    assert document["jwks_uri"] == f"{BASE}/google/oauth2/v3/certs"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]


async def test_id_token_is_rs256_signed_by_the_jwks_key_with_nonce(oauth: Harness) -> None:
    tokens = await oauth.tokens("google", nonce="n-0S6_WzA2Mj")
    jwks = (await oauth.client.get(oauth.urls("google").jwks or "")).json()
    header = jwt.get_unverified_header(tokens["id_token"])
    [key] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert header["alg"] == "RS256"
    claims = jwt.decode(
        tokens["id_token"],
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience="apiconform-client",
        issuer=f"{BASE}/google",
    )
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["sub"] == "104857600000000000001"
    assert claims["azp"] == "apiconform-client"
    assert claims["email"] == "ada.lovelace@example.com"
    assert claims["email_verified"] is True
    assert claims["name"] == "Ada Lovelace"
    assert claims["picture"] == "https://example.com/avatars/ada.png"
    assert claims["exp"] - claims["iat"] == 3600


async def test_id_token_is_rejected_with_another_key(oauth: Harness) -> None:
    tokens = await oauth.tokens("google")
    microsoft_jwks = (await oauth.client.get(oauth.urls("microsoft").jwks or "")).json()
    other = jwt.PyJWK(microsoft_jwks["keys"][0]).key
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tokens["id_token"], other, algorithms=["RS256"], audience="apiconform-client")


async def test_no_id_token_without_openid_scope_and_no_nonce_without_one(oauth: Harness) -> None:
    assert "id_token" not in await oauth.tokens("google", scope="email")
    tokens = await oauth.tokens("google")
    assert "nonce" not in jwt.decode(tokens["id_token"], options={"verify_signature": False})


async def test_userinfo_claims_follow_the_scopes(oauth: Harness) -> None:
    email_only = await oauth.tokens("google", scope="openid email")
    info = (await oauth.profile("google", email_only["access_token"])).json()
    assert info == {
        "sub": "104857600000000000001",
        "email": "ada.lovelace@example.com",
        "email_verified": True,
    }
    profile = await oauth.tokens(
        "google", scope="openid https://www.googleapis.com/auth/userinfo.profile"
    )
    info = (await oauth.profile("google", profile["access_token"])).json()
    assert info == {
        "sub": "104857600000000000001",
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": "https://example.com/avatars/ada.png",
    }


async def test_userinfo_also_answers_at_the_v3_path_and_to_post(oauth: Harness) -> None:
    tokens = await oauth.tokens("google")
    headers = {"authorization": f"Bearer {tokens['access_token']}"}
    v3 = await oauth.client.post(f"{BASE}/google/oauth2/v3/userinfo", headers=headers)
    assert v3.json()["email"] == "ada.lovelace@example.com"


async def test_bad_access_token_gets_googles_401(oauth: Harness) -> None:
    response = await oauth.profile("google", "ya29.forged")
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Invalid Credentials",
    }
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="{BASE}/google/", error="invalid_token"'
    )
    missing = await oauth.client.get(oauth.urls("google").userinfo or "")
    assert missing.status_code == 401


async def test_refresh_token_only_with_access_type_offline(oauth: Harness) -> None:
    assert "refresh_token" not in await oauth.tokens("google", access_type=None)
    assert "refresh_token" in await oauth.tokens("google", access_type="offline")


async def test_callback_carries_googles_extra_parameters(oauth: Harness) -> None:
    params = query(await oauth.callback("google"))
    assert params["scope"] == "openid email profile"
    assert params["authuser"] == "0"


async def test_id_token_on_refresh_has_no_nonce(oauth: Harness) -> None:
    tokens = await oauth.tokens("google", nonce="abc")
    renewed = (await oauth.refresh("google", tokens["refresh_token"])).json()
    claims = jwt.decode(renewed["id_token"], options={"verify_signature": False})
    assert "nonce" not in claims
    assert claims["sub"] == "104857600000000000001"


async def test_user_without_family_name_or_picture() -> None:
    from apiconform.mocks.oauth_server import MockUser
    from tests.mocks.harness import harness_for

    cher = MockUser(id="9", name="Cher", email="cher@example.com")
    async with harness_for(auto_approve=True, users={"google": [cher]}) as oauth:
        tokens = await oauth.tokens("google")
        info = (await oauth.profile("google", tokens["access_token"])).json()
        assert info["given_name"] == "Cher"
        assert "family_name" not in info
        assert "picture" not in info
