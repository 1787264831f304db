"""The state of a login: checked first (before any request reaches the provider), bound to
the browser, single use, expiring; every refusal a 401 problem, a security log line, no
user written."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.conftest import LogCapture
from tests.reference.auth.conftest import JSON, AuthApp


def with_state(callback: str, state: str | None) -> str:
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    if state is None:
        query.pop("state")
    else:
        query["state"] = state
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


async def assert_refused(auth_app: AuthApp, response: httpx.Response, logs: LogCapture) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 401
    assert problem["type"].endswith("/problems/oauth-state")
    # refused before the code was exchanged: the provider saw no token request
    assert auth_app.mock.requests.find(endpoint="token") == []
    assert await (await auth_app.accounts()).count_users() == 0
    [line] = logs.lines(message="oauth.state_refused")
    assert line["level"] == "warning"
    assert line["client_ip"] == "127.0.0.1"
    code = parse_qs(urlsplit(str(response.request.url)).query).get("code", [""])[0]
    assert not code or code not in logs.text


@pytest.mark.parametrize(
    ("state", "reason"),
    [(None, "missing"), ("forged-state-value", "unknown"), ("", "missing")],
)
async def test_a_missing_or_unknown_state_is_refused(
    auth_app: AuthApp, logs: LogCapture, state: str | None, reason: str
) -> None:
    url = await auth_app.start_login("google")
    callback = await auth_app.mock.aauthorize(url)
    response = await auth_app.client.get(with_state(callback, state), headers=JSON)
    await assert_refused(auth_app, response, logs)
    assert logs.lines(message="oauth.state_refused")[0]["reason"] == reason


async def test_a_replayed_state_is_refused(auth_app: AuthApp, logs: LogCapture) -> None:
    url = await auth_app.start_login("github")
    callback = await auth_app.mock.aauthorize(url)
    assert (await auth_app.client.get(callback, headers=JSON)).status_code == 200
    auth_app.mock.requests.clear()
    users = await (await auth_app.accounts()).count_users()
    response = await auth_app.client.get(callback, headers=JSON)
    assert response.status_code == 401
    assert auth_app.mock.requests.find(endpoint="token") == []
    assert await (await auth_app.accounts()).count_users() == users
    assert logs.lines(message="oauth.state_refused")[0]["reason"] == "unknown"


async def test_an_expired_state_is_refused(auth_app: AuthApp, logs: LogCapture) -> None:
    url = await auth_app.start_login("google")
    callback = await auth_app.mock.aauthorize(url)
    auth_app.clock.advance(601)  # the default lifetime is 10 minutes
    response = await auth_app.client.get(callback, headers=JSON)
    await assert_refused(auth_app, response, logs)
    assert logs.lines(message="oauth.state_refused")[0]["reason"] == "expired"


async def test_a_state_just_inside_its_lifetime_is_accepted(auth_app: AuthApp) -> None:
    url = await auth_app.start_login("google")
    callback = await auth_app.mock.aauthorize(url)
    auth_app.clock.advance(599)
    assert (await auth_app.client.get(callback, headers=JSON)).status_code == 200


async def test_a_state_from_another_browser_is_refused(auth_app: AuthApp, logs: LogCapture) -> None:
    """Login CSRF: the attacker's own valid state, delivered to the victim's browser."""
    async with httpx.AsyncClient(base_url=auth_app.client.base_url) as attacker:
        url = await auth_app.start_login("google", attacker)
    callback = await auth_app.mock.aauthorize(url)
    await auth_app.start_login("google")  # the victim has a browser cookie of their own
    response = await auth_app.client.get(callback, headers=JSON)
    await assert_refused(auth_app, response, logs)
    assert logs.lines(message="oauth.state_refused")[0]["reason"] == "browser_mismatch"


async def test_a_callback_without_the_browser_cookie_is_refused(
    auth_app: AuthApp, logs: LogCapture
) -> None:
    url = await auth_app.start_login("google")
    callback = await auth_app.mock.aauthorize(url)
    async with httpx.AsyncClient() as cookieless:
        response = await cookieless.get(callback, headers=JSON)
    await assert_refused(auth_app, response, logs)


async def test_a_state_issued_for_another_provider_is_refused(
    auth_app: AuthApp, logs: LogCapture
) -> None:
    url = await auth_app.start_login("google")
    state = parse_qs(urlsplit(url).query)["state"][0]
    callback = f"/auth/github/callback?code=abc&state={state}"
    response = await auth_app.client.get(callback, headers=JSON)
    await assert_refused(auth_app, response, logs)
    assert logs.lines(message="oauth.state_refused")[0]["reason"] == "provider_mismatch"


async def test_each_login_gets_a_fresh_state(auth_app: AuthApp) -> None:
    states = set()
    for _ in range(5):
        url = await auth_app.start_login("facebook")
        states.add(parse_qs(urlsplit(url).query)["state"][0])
    assert len(states) == 5


async def test_the_browser_cookie_is_http_only_and_same_site_lax(auth_app: AuthApp) -> None:
    response = await auth_app.client.get("/auth/google")
    cookie = response.headers["set-cookie"].lower()
    assert "apiconform_oauth=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/;" in cookie or cookie.endswith("path=/")


async def test_a_callback_without_a_code_is_a_400_problem(auth_app: AuthApp) -> None:
    url = await auth_app.start_login("google")
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = await auth_app.client.get(f"/auth/google/callback?state={state}", headers=JSON)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert auth_app.mock.requests.find(endpoint="token") == []
