"""Every fault knob, per provider (in process; the wire-level ones also in test_server)."""

from __future__ import annotations

import json
import time

import httpx
import jwt
import pytest
from pydantic import ValidationError

from apiconform.mocks.oauth_server import (
    ConnectionResetByMock,
    Faults,
    MockOAuthApp,
    build_config,
)
from apiconform.mocks.oauth_server.faults import FaultBoard
from tests.mocks.harness import BASE, Harness, harness_for

PROVIDERS = ["google", "github", "facebook", "microsoft"]


async def profile_of(oauth: Harness, provider: str) -> dict[str, object]:
    """What the provider says about the user: profile endpoint plus id_token claims."""
    tokens = await oauth.tokens(provider)
    body = (await oauth.profile(provider, tokens["access_token"], fields="id,name,email")).json()
    if "id_token" in tokens:
        body["id_token"] = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    if provider == "github":
        headers = {"authorization": f"Bearer {tokens['access_token']}"}
        body["emails"] = (
            await oauth.client.get(oauth.urls("github").emails or "", headers=headers)
        ).json()
    return body


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_outage_answers_503_on_every_endpoint(oauth: Harness, provider: str) -> None:
    oauth.app.faults.set(provider, outage=True)
    for url in oauth.urls(provider).as_dict().values():
        response = await oauth.client.get(url)
        assert response.status_code == 503
        assert response.json()["error"] == "temporarily_unavailable"
    other = "github" if provider != "github" else "google"
    assert (await oauth.client.get(oauth.authorize_url(other))).status_code == 302
    oauth.app.faults.clear(provider)
    assert (await oauth.client.get(oauth.authorize_url(provider))).status_code == 302


async def test_faults_can_target_single_endpoints(oauth: Harness) -> None:
    oauth.app.faults.set("google", outage=True, endpoints=("token",))
    code = await oauth.code("google")  # authorize still works
    assert (await oauth.exchange("google", code)).status_code == 503


async def test_times_limits_a_fault_to_the_next_requests(oauth: Harness) -> None:
    oauth.app.faults.set("github", outage=True, times=2, endpoints=("token",))
    code = await oauth.code("github")
    assert (await oauth.exchange("github", code)).status_code == 503
    assert (await oauth.exchange("github", code)).status_code == 503
    assert (await oauth.exchange("github", code)).status_code == 200
    assert oauth.app.faults.get("github") == Faults(endpoints=())


async def test_latency_delays_the_answer(oauth: Harness) -> None:
    oauth.app.faults.set("google", latency=0.3, endpoints=("jwks",))
    started = time.perf_counter()
    response = await oauth.client.get(oauth.urls("google").jwks or "")
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    await oauth.client.get(oauth.urls("google").discovery or "")  # not a targeted endpoint
    assert time.perf_counter() - started < 0.3


async def test_connection_reset_in_process_is_a_read_error(oauth: Harness) -> None:
    oauth.app.faults.set("microsoft", connection_reset=True)
    with pytest.raises(httpx.ReadError, match="Connection reset"):
        await oauth.client.get(oauth.urls("microsoft").discovery or "")
    assert oauth.app.requests.last("microsoft").status is None


async def test_connection_reset_through_a_bare_asgi_transport_raises() -> None:
    app = MockOAuthApp(build_config(faults={"google": {"connection_reset": True}}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as client:
        with pytest.raises(ConnectionResetByMock):
            await client.get("/google/.well-known/openid-configuration")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_malformed_json_breaks_json_bodies_only(oauth: Harness, provider: str) -> None:
    code = await oauth.code(provider)  # a redirect: nothing to break
    oauth.app.faults.set(provider, malformed_json=True)
    response = await oauth.exchange(provider, code)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_malformed_json_leaves_html_and_form_bodies_alone() -> None:
    async with harness_for(faults={"github": {"malformed_json": True}}) as oauth:
        page = await oauth.client.get(oauth.authorize_url("github"))
        assert page.text.rstrip().endswith("</html>")
        location = await oauth.callback("github")
        code = httpx.URL(location).params["code"]
        form = await oauth.client.post(
            oauth.urls("github").token,
            data={
                "client_id": "apiconform-client",
                "client_secret": "apiconform-secret",
                "code": code,
                "code_verifier": oauth.verifier,
            },
            headers={"accept": "*/*"},
        )
        assert "access_token=" in form.text


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_invalid_grant_refuses_every_grant(oauth: Harness, provider: str) -> None:
    code = await oauth.code(provider)
    oauth.app.faults.set(provider, invalid_grant=True)
    body = (await oauth.exchange(provider, code)).json()
    error = body["error"]
    expected = {
        "google": "invalid_grant",
        "microsoft": "invalid_grant",
        "github": "bad_verification_code",
    }
    assert error == expected.get(provider, error)
    if provider == "facebook":
        assert error["code"] == 100
    oauth.app.faults.clear()
    assert (await oauth.exchange(provider, code)).status_code == 200  # the code survived


async def test_invalid_grant_on_refresh_is_githubs_bad_refresh_token(oauth: Harness) -> None:
    tokens = await oauth.tokens("github")
    oauth.app.faults.set("github", invalid_grant=True)
    assert (await oauth.refresh("github", tokens["refresh_token"])).json()[
        "error"
    ] == "bad_refresh_token"


async def test_unverified_email(oauth: Harness) -> None:
    for provider in PROVIDERS:
        oauth.app.faults.set(provider, unverified_email=True)
    google = await profile_of(oauth, "google")
    assert google["email_verified"] is False
    assert google["id_token"]["email_verified"] is False  # type: ignore[index]
    github = await profile_of(oauth, "github")
    assert github["emails"][0]["verified"] is False  # type: ignore[index]
    microsoft = await profile_of(oauth, "microsoft")
    assert microsoft["id_token"]["xms_edov"] is False  # type: ignore[index]
    facebook = await profile_of(oauth, "facebook")
    assert "email" not in facebook  # Facebook only ever returns confirmed emails


async def test_missing_email(oauth: Harness) -> None:
    for provider in PROVIDERS:
        oauth.app.faults.set(provider, missing_email=True)
    google = await profile_of(oauth, "google")
    assert "email" not in google
    assert "email" not in google["id_token"]  # type: ignore[operator]
    github = await profile_of(oauth, "github")
    assert github["email"] is None
    assert github["emails"] == []
    microsoft = await profile_of(oauth, "microsoft")
    assert microsoft["mail"] is None
    assert "email" not in microsoft["id_token"]  # type: ignore[operator]
    assert "email" not in await profile_of(oauth, "facebook")


async def test_changed_profile_changes_name_and_picture_everywhere(oauth: Harness) -> None:
    before = {p: await profile_of(oauth, p) for p in PROVIDERS}
    for provider in PROVIDERS:
        oauth.app.faults.set(provider, changed_profile=True)
    after = {p: await profile_of(oauth, p) for p in PROVIDERS}
    assert after["google"]["name"] == f"{before['google']['name']} (changed)"
    assert after["google"]["picture"] != before["google"]["picture"]
    assert after["github"]["name"] == "Grace Hopper (changed)"
    assert after["microsoft"]["displayName"] == "Alan Turing (changed)"
    assert after["facebook"]["name"] == "Katherine Johnson (changed)"
    assert after["github"]["id"] == before["github"]["id"]  # same account, new profile


async def test_faults_from_the_configuration_and_reset() -> None:
    async with harness_for(faults={"google": {"outage": True}}) as oauth:
        assert (await oauth.client.get(oauth.urls("google").jwks or "")).status_code == 503
        oauth.app.faults.clear()
        assert (await oauth.client.get(oauth.urls("google").jwks or "")).status_code == 200
        oauth.app.reset()
        assert oauth.app.faults.get("google").outage is True


def test_fault_settings_are_validated() -> None:
    board = FaultBoard(["google"])
    with pytest.raises(KeyError, match="unknown provider"):
        board.set("myspace", outage=True)
    with pytest.raises(KeyError):
        board.clear("myspace")
    with pytest.raises(ValidationError, match="unknown endpoint"):
        board.set("google", endpoints=("tokens",))
    with pytest.raises(ValidationError):
        board.set("google", latency=-1)
    assert board.set("google", Faults(outage=True)).outage
    assert board.snapshot() == {"google": Faults(outage=True)}
    assert board.take_transport("google", "token") is not None
    board.set("google", invalid_grant=True)
    assert board.take_transport("google", "token") is None  # protocol faults only


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_short_access_token_lifetime_expires_the_tokens_issued_meanwhile(
    oauth: Harness, provider: str
) -> None:
    oauth.app.faults.set(provider, access_token_lifetime=5)
    short = await oauth.tokens(provider)
    oauth.app.faults.clear(provider)
    normal = await oauth.tokens(provider)
    assert short["expires_in"] == 5
    assert normal["expires_in"] > 5
    assert (await oauth.profile(provider, short["access_token"])).status_code == 200
    oauth.app.clock.advance(6)
    expired = 400 if provider == "facebook" else 401  # Graph: OAuthException 190
    assert (await oauth.profile(provider, short["access_token"])).status_code == expired
    assert (await oauth.profile(provider, normal["access_token"])).status_code == 200


def test_the_access_token_lifetime_is_bounded() -> None:
    for seconds in (0, 0.5, 86_401):
        with pytest.raises(ValidationError):
            Faults(access_token_lifetime=seconds)
