"""Microsoft identity platform v2 and Graph shapes."""

from __future__ import annotations

import jwt

from apiconform.mocks.oauth_server import ClientConfig
from apiconform.mocks.oauth_server.config import DEFAULT_TENANT_ID
from tests.mocks.harness import BASE, Harness, harness_for


async def test_discovery_points_back_at_the_mock(oauth: Harness) -> None:
    response = await oauth.client.get(f"{BASE}/microsoft/v2.0/.well-known/openid-configuration")
    document = response.json()
    assert document["issuer"] == f"{BASE}/microsoft/v2.0"
    assert document["authorization_endpoint"] == f"{BASE}/microsoft/oauth2/v2.0/authorize"
    assert document["token_endpoint"] == f"{BASE}/microsoft/oauth2/v2.0/token"
    assert document["jwks_uri"] == f"{BASE}/microsoft/discovery/v2.0/keys"
    assert document["userinfo_endpoint"] == f"{BASE}/microsoft/graph/oidc/userinfo"
    assert document["msgraph_host"] == "graph.microsoft.com"


async def test_id_token_claims(oauth: Harness) -> None:
    tokens = await oauth.tokens("microsoft", nonce="nonce-1")
    jwks = (await oauth.client.get(oauth.urls("microsoft").jwks or "")).json()
    claims = jwt.decode(
        tokens["id_token"],
        jwt.PyJWK(jwks["keys"][0]).key,
        algorithms=["RS256"],
        audience="apiconform-client",
        issuer=f"{BASE}/microsoft/v2.0",
    )
    assert claims["ver"] == "2.0"
    assert claims["nonce"] == "nonce-1"
    assert claims["oid"] == "00000000-0000-0000-a1b2-c3d4e5f60001"
    assert claims["tid"] == DEFAULT_TENANT_ID
    assert claims["preferred_username"] == "alan.turing@example.com"
    assert claims["name"] == "Alan Turing"
    assert claims["email"] == "alan.turing@example.com"
    assert claims["xms_edov"] is True
    assert claims["sub"] != claims["oid"]


async def test_sub_is_pairwise_per_client() -> None:
    clients = [ClientConfig(client_id="app-a"), ClientConfig(client_id="app-b")]
    async with harness_for(auto_approve=True, clients=clients) as oauth:
        subs = []
        for client_id in ("app-a", "app-b"):
            code = await oauth.code("microsoft", client_id=client_id)
            tokens = (await oauth.exchange("microsoft", code, client_id=client_id)).json()
            subs.append(jwt.decode(tokens["id_token"], options={"verify_signature": False}))
        assert subs[0]["sub"] != subs[1]["sub"]
        assert subs[0]["oid"] == subs[1]["oid"]


async def test_graph_me(oauth: Harness) -> None:
    tokens = await oauth.tokens("microsoft")
    me = (await oauth.profile("microsoft", tokens["access_token"])).json()
    assert me["id"] == "00000000-0000-0000-a1b2-c3d4e5f60001"
    assert me["displayName"] == "Alan Turing"
    assert me["mail"] == "alan.turing@example.com"
    assert me["userPrincipalName"] == "alan.turing@example.com"
    assert me["givenName"] == "Alan"
    assert me["surname"] == "Turing"


async def test_oidc_userinfo(oauth: Harness) -> None:
    tokens = await oauth.tokens("microsoft")
    headers = {"authorization": f"Bearer {tokens['access_token']}"}
    info = (await oauth.client.get(oauth.urls("microsoft").userinfo or "", headers=headers)).json()
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert info["sub"] == claims["sub"]
    assert info["email"] == "alan.turing@example.com"
    assert (await oauth.client.get(oauth.urls("microsoft").userinfo or "")).status_code == 401


async def test_refresh_token_only_with_offline_access(oauth: Harness) -> None:
    assert "refresh_token" not in await oauth.tokens("microsoft", scope="openid profile")
    tokens = await oauth.tokens("microsoft")
    assert tokens["ext_expires_in"] == tokens["expires_in"] == 3600
    assert tokens["token_type"] == "Bearer"


async def test_errors_carry_aadsts_codes(oauth: Harness) -> None:
    code = await oauth.code("microsoft")
    await oauth.exchange("microsoft", code)
    replay = (await oauth.exchange("microsoft", code)).json()
    assert replay["error"] == "invalid_grant"
    assert replay["error_codes"] == [54005]
    assert replay["error_description"].startswith("AADSTS54005: ")
    assert {"trace_id", "correlation_id", "timestamp", "error_uri"} <= set(replay)
    bad_client = await oauth.exchange("microsoft", "x", client_secret="wrong")
    assert bad_client.status_code == 401
    assert bad_client.json()["error_codes"] == [7000215]


async def test_graph_errors_have_graphs_shape(oauth: Harness) -> None:
    response = await oauth.profile("microsoft", "EwB.unknown")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"] == "Invalid access token."
    missing = await oauth.client.get(oauth.urls("microsoft").me or "")
    assert missing.json()["error"]["message"] == "Access token is empty."
    tokens = await oauth.tokens("microsoft")
    oauth.app.clock.advance(3601)
    expired = await oauth.profile("microsoft", tokens["access_token"])
    assert "expired" in expired.json()["error"]["message"]


async def test_claims_follow_scopes_and_email(oauth: Harness) -> None:
    tokens = await oauth.tokens("microsoft", scope="openid offline_access")
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert not {"name", "preferred_username", "email"} & set(claims)
    assert "id_token" not in await oauth.tokens("microsoft", scope="User.Read offline_access")
    oauth.app.faults.set("microsoft", missing_email=True)
    headers = {"authorization": f"Bearer {tokens['access_token']}"}
    info = (await oauth.client.get(oauth.urls("microsoft").userinfo or "", headers=headers)).json()
    assert "email" not in info
    me = (await oauth.profile("microsoft", tokens["access_token"])).json()
    assert me["mail"] is None
    assert me["userPrincipalName"] == "alan.turing@example.com"
