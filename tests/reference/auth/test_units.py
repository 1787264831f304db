"""The pieces on their own: profile mapping, the provider client's failure mapping (an
httpx MockTransport plays the provider), the state store's bounds."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from apiconform.reference.auth import profiles
from apiconform.reference.auth.client import ProviderClient, ProviderRefused, ProviderUnavailable
from apiconform.reference.auth.config import AuthConfig
from apiconform.reference.auth.profiles import MalformedProfile
from apiconform.reference.auth.providers import resolve_providers
from apiconform.reference.auth.state import StateRefused, StateStore
from tests.conftest import LogCapture
from tests.reference.auth.conftest import AuthApp, FakeClock


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda: profiles.github([], []), "not a JSON object"),
        (lambda: profiles.github({"id": True}, []), "no user id"),
        (lambda: profiles.facebook({"id": ""}), "no user id"),
        (lambda: profiles.google({"sub": "1"}, {"sub": "2"}), "another subject"),
        (lambda: profiles.microsoft({"oid": "a"}, {"id": "b"}), "another user"),
    ],
)
def test_a_malformed_profile_is_refused(call: Any, reason: str) -> None:
    with pytest.raises(MalformedProfile, match=reason):
        call()


def test_github_email_verification_follows_the_emails_list() -> None:
    user = {"id": 7, "login": "octo", "email": "o@x.org"}
    listed = profiles.github(user, [{"email": "o@x.org", "primary": False, "verified": True}])
    assert (listed.email, listed.email_verified, listed.name) == ("o@x.org", True, "octo")
    unlisted = profiles.github(user, "not a list")
    assert (unlisted.email, unlisted.email_verified) == ("o@x.org", False)


def test_microsoft_falls_back_to_the_user_principal_name_unverified() -> None:
    found = profiles.microsoft(
        {"oid": "a", "email": "a@x.org", "xms_edov": True},
        {"id": "a", "mail": None, "userPrincipalName": "upn@x.org", "displayName": "A"},
    )
    assert (found.email, found.email_verified) == ("upn@x.org", False)


def test_facebook_picture_url_only_from_its_data_member() -> None:
    assert profiles.facebook({"id": "1", "picture": "x"}).avatar_url is None
    with_picture = profiles.facebook({"id": "1", "picture": {"data": {"url": "https://p"}}})
    assert with_picture.avatar_url == "https://p"


def provider_client(handler: Any, name: str = "github") -> ProviderClient:
    config = AuthConfig.model_validate({"mock_url": "http://mock.test"})
    provider = resolve_providers(config)[name]  # type: ignore[index]
    return ProviderClient(provider, timeout=1, transport=httpx.MockTransport(handler))


def answer(status: int, body: Any, content_type: str = "application/json") -> httpx.Response:
    text = body if isinstance(body, str) else json.dumps(body)
    return httpx.Response(status, text=text, headers={"content-type": content_type})


async def test_a_refresh_without_a_new_refresh_token_keeps_the_old_one() -> None:
    client = provider_client(lambda r: answer(200, {"access_token": "a2", "expires_in": 60}))
    tokens = await client.refresh("r1")
    assert (tokens.access_token, tokens.refresh_token) == ("a2", "r1")
    assert tokens.expires_at is not None


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (answer(200, {"token_type": "bearer"}), ProviderUnavailable),
        (answer(400, "<html>no</html>", "text/html"), ProviderRefused),
        (answer(502, "bad gateway", "text/plain"), ProviderUnavailable),
        (answer(200, {"error": "bad_refresh_token"}), ProviderRefused),
    ],
)
async def test_refresh_failures_are_mapped(
    response: httpx.Response, error: type[Exception]
) -> None:
    client = provider_client(lambda r: response)
    with pytest.raises(error):
        await client.refresh("r1")


@pytest.mark.parametrize(("status", "error"), [(401, ProviderRefused), (500, ProviderUnavailable)])
async def test_profile_failures_are_mapped(status: int, error: type[Exception]) -> None:
    client = provider_client(lambda r: answer(status, {"message": "Bad credentials"}))
    with pytest.raises(error):
        await client.profile("token")


async def test_a_google_profile_call_reads_userinfo_once_more() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answer(200, {"sub": "9", "email": "g@x.org", "email_verified": True})

    found = await provider_client(handler, "google").profile("token")
    assert (found.provider_id, found.email_verified) == ("9", True)
    assert seen == ["/google/v1/userinfo", "/google/v1/userinfo"]


def test_the_state_store_is_bounded_and_swept() -> None:
    clock = FakeClock()
    store = StateStore(ttl=10, clock=clock, limit=2)
    first = store.issue("google", "b", "http://cb", oidc=True)
    store.issue("google", "b", "http://cb", oidc=False)
    store.issue("google", "b", "http://cb", oidc=False)
    assert len(store) == 2
    with pytest.raises(StateRefused):
        store.take(first.state, "google", "b")  # the oldest was dropped
    clock.advance(11)
    store.issue("google", "b", "http://cb", oidc=False)
    assert len(store) == 1  # the expired ones were swept


async def test_an_id_token_from_another_issuer_is_refused(
    auth_app: AuthApp, logs: LogCapture
) -> None:
    endpoints = auth_app.service.providers["google"].endpoints
    object.__setattr__(endpoints, "issuer", "https://accounts.google.com")
    response = await auth_app.login("google")
    assert response.status_code == 401
    assert await (await auth_app.accounts()).count_users() == 0
    [line] = logs.lines(message="oauth.id_token_invalid")
    assert "issuer" in line["reason"]
