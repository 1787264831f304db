"""respx routes backed by the mock app."""

from __future__ import annotations

import httpx
import pytest
import respx

from apiconform.mocks.oauth_server import MockOAuthApp, build_config
from apiconform.mocks.respx import DEFAULT_BASE_URL, add_oauth_routes, mock_oauth_respx


def test_real_hosts_are_answered_with_real_urls() -> None:
    with mock_oauth_respx() as mock:
        document = httpx.get("https://accounts.google.com/.well-known/openid-configuration").json()
        assert document["issuer"] == "https://accounts.google.com"
        assert document["token_endpoint"] == "https://oauth2.googleapis.com/token"
        assert document["jwks_uri"] == "https://www.googleapis.com/oauth2/v3/certs"
        ms = httpx.get(
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
        ).json()
        tenant = mock.app.config.microsoft_tenant_id
        assert ms["issuer"] == f"https://login.microsoftonline.com/{tenant}/v2.0"
        assert ms["userinfo_endpoint"] == "https://graph.microsoft.com/oidc/userinfo"
        assert mock.routes["google"][0].call_count == 1
        assert mock.routes["microsoft"][0].call_count == 1


def test_base_url_routes_mirror_a_running_mock() -> None:
    with mock_oauth_respx(auto_approve=True) as mock:
        assert mock.url == DEFAULT_BASE_URL
        document = httpx.get(mock.provider("google").discovery or "").json()
        assert document["issuer"] == f"{DEFAULT_BASE_URL}/google"
        put = httpx.put(f"{mock.url}/_control/faults/github", json={"outage": True})
        assert put.json()["outage"] is True
        assert mock.faults.get("github").outage
        assert httpx.get(mock.provider("github").user or "").status_code == 503
        assert httpx.get(f"{mock.url}/").json()["client_id"] == mock.client_id
        assert mock.routes["control"][0].call_count == 2


async def test_async_clients_and_sync_clients_inside_a_loop() -> None:
    with mock_oauth_respx() as mock:
        async with httpx.AsyncClient() as client:
            response = await client.get("https://api.github.com/user")
        assert response.json()["message"] == "Requires authentication"
        # a sync client called from async code: answered on another loop, not deadlocked
        assert httpx.get("https://graph.facebook.com/me").json()["error"]["code"] == 2500
        assert len(mock.requests) == 2


async def test_connection_reset_through_respx_is_a_read_error() -> None:
    with mock_oauth_respx(faults={"google": {"connection_reset": True}}):
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ReadError):
                await client.get("https://oauth2.googleapis.com/token")
        with pytest.raises(httpx.ReadError):
            httpx.post("https://oauth2.googleapis.com/token")


def test_other_hosts_are_not_mocked_unless_passed_through() -> None:
    with mock_oauth_respx() as mock:
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get("https://example.com/")
        mock.router.route(host="example.com").mock(return_value=httpx.Response(204))
        assert httpx.get("https://example.com/").status_code == 204


def test_real_hosts_can_be_left_alone() -> None:
    with mock_oauth_respx(real_hosts=False, assert_all_mocked=False) as mock:
        assert mock.routes["google"] == [mock.router.routes["google:mock"]]
        # unmatched requests get respx's empty 200, not the mock
        assert httpx.get("https://accounts.google.com/.well-known/openid-configuration").text == ""


async def test_routes_added_to_a_plain_respx_router() -> None:
    app = MockOAuthApp(build_config(auto_approve=True))
    with respx.mock(assert_all_called=False) as router:
        routes = add_oauth_routes(router, app, base_url=None)
        assert "control" not in routes
        async with httpx.AsyncClient() as client:
            response = await client.get("https://graph.microsoft.com/v1.0/me")
        assert response.status_code == 401
        assert routes["microsoft"][1].called  # graph.microsoft.com


def test_routes_added_to_a_plain_router_serve_sync_clients() -> None:
    app = MockOAuthApp()
    with respx.mock(assert_all_called=False) as router:
        add_oauth_routes(router, app, real_hosts=False, base_url="http://oauth.example")
        assert httpx.get("http://oauth.example/google/oauth2/v3/certs").json()["keys"]


def test_handle_exposes_the_apps_state() -> None:
    with mock_oauth_respx() as mock:
        assert mock.client_secret == "apiconform-secret"
        assert mock.users.list("facebook")[0].id == "10160000000000001"
        mock.clock.advance(10)
        assert mock.provider("facebook", real=True).token == (
            "https://graph.facebook.com/oauth/access_token"
        )
