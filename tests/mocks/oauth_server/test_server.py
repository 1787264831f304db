"""The mock over real HTTP: in the event loop, in a thread, and the wire-level faults."""

from __future__ import annotations

import socket

import httpx
import pytest

from apiconform.common import serving as kernel_server
from apiconform.common.serving import PortInUseError, ServerError
from apiconform.mocks.oauth_server import MockOAuthError, MockOAuthServer, running_mock_oauth
from apiconform.mocks.oauth_server.pkce import s256
from tests.mocks.harness import REDIRECT, new_verifier, query


def authorize_url(server: MockOAuthServer, provider: str, verifier: str) -> str:
    params = {
        "client_id": server.client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid email",
        "state": "s",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    return str(httpx.URL(server.provider(provider).authorize, params=params))  # type: ignore[arg-type]


async def test_async_server_serves_on_a_loopback_port() -> None:
    async with MockOAuthServer() as server:
        assert server.url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            document = (await client.get(server.provider("google").discovery or "")).json()
        assert document["issuer"] == f"{server.url}/google"
        assert document["token_endpoint"] == f"{server.url}/google/token"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/")


async def test_running_mock_oauth_yields_the_base_url() -> None:
    async with running_mock_oauth(auto_approve=True) as url, httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/")).json()["client_id"] == "apiconform-client"


def test_thread_server_runs_a_whole_flow_for_sync_code() -> None:
    with MockOAuthServer(auto_approve=True) as server:
        verifier = new_verifier()
        callback = server.authorize(authorize_url(server, "google", verifier))
        with httpx.Client() as client:
            response = client.post(
                server.provider("google").token,
                data={
                    "grant_type": "authorization_code",
                    "code": query(callback)["code"],
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                    "client_id": server.client_id,
                    "client_secret": server.client_secret,
                },
            )
        assert response.status_code == 200
        assert server.requests.last("google", "token").form["code_verifier"] == verifier
        assert server.users.list("google")[0].name == "Ada Lovelace"
        assert server.clock.now() > 0


async def test_async_authorize_plays_the_consent_page() -> None:
    async with MockOAuthServer() as server:
        verifier = new_verifier()
        denied = await server.aauthorize(authorize_url(server, "github", verifier), approve=False)
        assert query(denied)["error"] == "access_denied"


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(MockOAuthError, match="not running"):
        _ = MockOAuthServer().url


def test_taken_port_is_reported() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError), MockOAuthServer(port=port):
            pass


def test_start_failure_in_the_thread_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken_start(self: object, timeout: float = 10.0) -> None:
        raise ServerError("cannot start")

    monkeypatch.setattr(kernel_server.Server, "start", broken_start)
    server = MockOAuthServer()
    with pytest.raises(ServerError, match="cannot start"), server:
        pass
    assert server._server is not None
    server._server._sock.close()  # the failed start never served on it


def test_connection_reset_over_the_wire_is_a_read_error() -> None:
    with MockOAuthServer(
        faults={"github": {"connection_reset": True, "endpoints": ["token"]}}
    ) as server:
        with httpx.Client() as client:
            with pytest.raises(httpx.ReadError):
                client.post(server.provider("github").token, data={"code": "x"})
            # the server lives on, and other endpoints answer
            assert client.get(f"{server.url}/").status_code == 200
        assert server.requests.last("github", "token").status is None


def test_latency_over_the_wire_trips_a_client_timeout() -> None:
    with MockOAuthServer() as server:
        google = server.provider("google")
        server.faults.set("google", latency=120, endpoints=("jwks",), times=1)
        with httpx.Client(timeout=0.2) as client:
            with pytest.raises(httpx.ReadTimeout):
                client.get(google.jwks or "")
            assert server.faults.get("google").transport is False  # times=1: counted down
            assert client.get(google.discovery or "").status_code == 200
            assert client.get(google.jwks or "").status_code == 200
        delayed, discovery, jwks = server.requests.find("google")
        # Both later requests were answered while the first was still in its delay.
        assert (delayed.endpoint, delayed.status) == ("jwks", None)
        assert (discovery.endpoint, discovery.status) == ("discovery", 200)
        assert (jwks.endpoint, jwks.status) == ("jwks", 200)


def test_outage_over_the_wire() -> None:
    with MockOAuthServer(faults={"microsoft": {"outage": True}}) as server:
        with httpx.Client() as client:
            response = client.get(server.provider("microsoft").me or "")
        assert response.status_code == 503
