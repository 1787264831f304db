"""Failures at the provider: a refusal by the user, an outage, a timeout, a malformed
answer, a refused code. None writes a user; none is a 500."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from tests.conftest import LogCapture
from tests.reference.auth.conftest import JSON, AuthApp


@pytest.mark.mock_oauth(auto_approve=False)
@pytest.mark.parametrize("provider", ["google", "github", "facebook", "microsoft"])
async def test_a_denied_consent_leads_to_the_error_page_with_a_code(
    auth_app: AuthApp, provider: str
) -> None:
    url = await auth_app.start_login(provider)
    callback = await auth_app.mock.aauthorize(url, approve=False)
    response = await auth_app.client.get(callback)
    assert response.status_code == 302
    assert response.headers["location"] == "/auth/error?code=access_denied"
    assert auth_app.mock.requests.find(endpoint="token") == []
    assert await (await auth_app.accounts()).count_users() == 0
    page = await auth_app.client.get(response.headers["location"])
    assert page.status_code == 200
    assert "You cancelled the sign-in" in page.text
    # the provider's raw error_description never reaches the page
    assert "error_description" not in response.headers["location"]


async def test_an_unknown_provider_error_gets_a_generic_code(auth_app: AuthApp) -> None:
    response = await auth_app.client.get(
        "/auth/google/callback?error=server_error&error_description=<b>boom</b>"
    )
    assert response.headers["location"] == "/auth/error?code=provider_error"


async def test_the_error_page_escapes_what_it_shows(auth_app: AuthApp) -> None:
    script = "<script>alert(1)</script>"
    page = await auth_app.client.get("/auth/error", params={"code": script, "message": script})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'href="/auth/google"' in page.text


def assert_unavailable(response: httpx.Response, provider: str) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    problem: dict[str, Any] = response.json()
    assert problem["provider"] == provider
    methods = problem["alternatives"]
    assert {"method": "password", "path": "/auth/login"} in methods
    others = {m.get("provider") for m in methods if m["method"] == "oauth"}
    assert others == {"google", "github", "facebook", "microsoft"} - {provider}
    return problem


@pytest.mark.parametrize(
    ("provider", "faults"),
    [
        ("google", {"outage": True, "endpoints": ["token"]}),
        ("github", {"outage": True, "endpoints": ["emails"]}),
        ("facebook", {"malformed_json": True, "endpoints": ["token"]}),
        ("microsoft", {"malformed_json": True, "endpoints": ["me"]}),
        ("google", {"connection_reset": True, "endpoints": ["jwks"]}),
        ("github", {"latency": 2.0, "endpoints": ["token"]}),
    ],
)
async def test_a_provider_failure_is_a_503_listing_the_other_ways_to_sign_in(
    auth_app: AuthApp, logs: LogCapture, provider: str, faults: dict[str, Any]
) -> None:
    auth_app.service.clients[provider].timeout = 0.5  # type: ignore[index]
    url = await auth_app.start_login(provider)
    callback = await auth_app.mock.aauthorize(url)
    auth_app.mock.faults.set(provider, **faults)
    response = await auth_app.client.get(callback, headers=JSON)
    assert_unavailable(response, provider)
    assert await (await auth_app.accounts()).count_users() == 0
    [line] = logs.lines(message="oauth.provider_unavailable")
    assert line["provider"] == provider
    assert line["step"] in ("token", "jwks", "profile", "emails")
    assert line["level"] == "error"
    code = callback.split("code=")[1].split("&")[0]
    assert code not in logs.text
    assert auth_app.mock.client_secret not in logs.text  # type: ignore[operator]


async def test_an_unreachable_provider_is_a_503(auth_app: AuthApp) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed: nothing listens there
    client = auth_app.service.clients["google"]
    endpoints = client.provider.endpoints
    url = await auth_app.start_login("google")
    callback = await auth_app.mock.aauthorize(url)
    object.__setattr__(endpoints, "token", f"http://127.0.0.1:{port}/token")
    response = await auth_app.client.get(callback, headers=JSON)
    assert_unavailable(response, "google")


async def test_a_refused_code_is_a_401_problem(auth_app: AuthApp, logs: LogCapture) -> None:
    url = await auth_app.start_login("microsoft")
    callback = await auth_app.mock.aauthorize(url)
    auth_app.mock.faults.set("microsoft", invalid_grant=True)
    response = await auth_app.client.get(callback, headers=JSON)
    assert response.status_code == 401, logs.text
    assert response.json()["type"].endswith("/problems/oauth-login-failed")
    assert await (await auth_app.accounts()).count_users() == 0
    assert logs.lines(message="oauth.provider_refused")[0]["error"] == "invalid_grant"


async def test_an_unknown_provider_is_a_404(auth_app: AuthApp) -> None:
    for path in ("/auth/myspace", "/auth/myspace/callback?code=a&state=b"):
        response = await auth_app.client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
