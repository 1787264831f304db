"""A real browser (Debian's chromium, driven by Playwright) on the mock's consent page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from apiconform.mocks.oauth_server import MockOAuthServer, MockUser
from apiconform.mocks.oauth_server.pkce import s256

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CALLBACK = "http://127.0.0.1:8765/auth/callback"
VERIFIER = "v" * 20 + "-browser-test-verifier-0123456789"
USERS = [
    MockUser(id="111", name="Ada Lovelace", email="ada@example.com"),
    MockUser(id="222", name="Grace <Hopper>", email="grace@example.com"),
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def mock() -> Iterator[MockOAuthServer]:
    with MockOAuthServer(users={"google": USERS}) as server:
        yield server


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    # the client's callback: answered by the browser itself, so no server is needed there
    page.route(f"{CALLBACK}*", lambda route: route.fulfill(status=200, body="signed in"))
    try:
        yield page
    finally:
        context.close()


def authorize_url(mock: MockOAuthServer) -> str:
    params = {
        "client_id": mock.client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "browser-state",
        "nonce": "browser-nonce",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    return str(httpx.URL(mock.provider("google").authorize, params=params))


def test_approve_with_a_chosen_user_returns_a_working_code(
    mock: MockOAuthServer, page: Any
) -> None:
    page.goto(authorize_url(mock))
    assert page.title() == "Sign in with Google - apiconform mock"
    assert page.locator("#scopes").inner_text() == "openid email profile"
    assert page.locator("label", has_text="Grace <Hopper>").count() == 1  # escaped, shown as text
    page.check("#user-222")
    page.click("#approve")
    page.wait_for_url(f"{CALLBACK}*")
    params = httpx.URL(page.url).params
    assert params["state"] == "browser-state"
    with httpx.Client() as client:
        tokens = client.post(
            mock.provider("google").token,
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": CALLBACK,
                "code_verifier": VERIFIER,
                "client_id": mock.client_id,
                "client_secret": mock.client_secret,
            },
        ).json()
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert (claims["sub"], claims["nonce"]) == ("222", "browser-nonce")


def test_deny_returns_access_denied_to_the_client(mock: MockOAuthServer, page: Any) -> None:
    page.goto(authorize_url(mock))
    page.click("#deny")
    page.wait_for_url(f"{CALLBACK}*")
    params = httpx.URL(page.url).params
    assert params["error"] == "access_denied"
    assert params["state"] == "browser-state"
    assert "code" not in params
    consent = mock.requests.last("google", "consent")
    assert consent.form["decision"] == "deny"
