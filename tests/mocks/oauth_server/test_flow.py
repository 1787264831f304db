"""The authorization-code protocol, as every provider enforces it (in process)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from apiconform.mocks.oauth_server import ClientConfig
from apiconform.mocks.oauth_server.pkce import s256
from tests.mocks.harness import REDIRECT, Harness, harness_for, new_verifier, query

PROVIDERS = ["google", "github", "facebook", "microsoft"]
OAUTH2_ERROR_PROVIDERS = ["google", "microsoft"]  # RFC 6749 error bodies


def error_of(provider: str, body: dict[str, object]) -> str:
    """The error code whatever the provider's shape (Facebook nests it)."""
    error = body["error"]
    if isinstance(error, dict):
        return f"fb:{error['code']}/{error.get('error_subcode')}"
    return str(error)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_state_is_returned_untouched(oauth: Harness, provider: str) -> None:
    state = "a b&c=d/é?"
    location = await oauth.callback(provider, state=state)
    assert location.startswith(REDIRECT + "?")
    assert query(location)["state"] == state


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_full_flow_issues_a_token_the_profile_endpoint_accepts(
    oauth: Harness, provider: str
) -> None:
    tokens = await oauth.tokens(provider)
    response = await oauth.profile(provider, tokens["access_token"])
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_replayed_code_is_invalid_grant_and_revokes_its_tokens(
    oauth: Harness, provider: str
) -> None:
    code = await oauth.code(provider)
    first = await oauth.exchange(provider, code)
    assert first.status_code == 200
    access = first.json()["access_token"]
    replay = await oauth.exchange(provider, code)
    expected = {
        "google": "invalid_grant",
        "microsoft": "invalid_grant",
        "github": "bad_verification_code",
        "facebook": "fb:100/36009",
    }[provider]
    assert error_of(provider, replay.json()) == expected
    assert (await oauth.profile(provider, access)).status_code in (400, 401)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_code_expires_after_its_lifetime(oauth: Harness, provider: str) -> None:
    code = await oauth.code(provider)
    oauth.app.clock.advance(61)
    response = await oauth.exchange(provider, code)
    assert error_of(provider, response.json()) in (
        "invalid_grant",
        "bad_verification_code",
        "fb:100/36007",
    )


async def test_code_within_its_lifetime_still_works(oauth: Harness) -> None:
    code = await oauth.code("google")
    oauth.app.clock.advance(59)
    assert (await oauth.exchange("google", code)).status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_wrong_code_verifier_is_refused(oauth: Harness, provider: str) -> None:
    code = await oauth.code(provider)
    response = await oauth.exchange(provider, code, code_verifier=new_verifier())
    assert error_of(provider, response.json()) in (
        "invalid_grant",
        "bad_verification_code",
        "fb:100/None",
    )
    # the code was not burnt by the failed attempt: the right verifier still works
    assert (await oauth.exchange(provider, code)).status_code == 200


@pytest.mark.parametrize("provider", OAUTH2_ERROR_PROVIDERS)
async def test_missing_code_verifier_is_refused(oauth: Harness, provider: str) -> None:
    code = await oauth.code(provider)
    response = await oauth.exchange(provider, code, code_verifier=None)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "verifier" in response.json()["error_description"]


def utf8_s256(verifier: str) -> str:
    """The S256 challenge of any text, hashed as UTF-8 (``s256`` takes ASCII only)."""
    digest = hashlib.sha256(verifier.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "é" * 43, "a" * 43 + "\n", "a" * 129, "a" * 42 + "+"],
    ids=["too-short", "non-ascii", "trailing-newline", "too-long", "not-unreserved"],
)
async def test_a_verifier_of_the_wrong_shape_is_refused_though_its_hash_matches(
    oauth: Harness, verifier: str
) -> None:
    # The challenge is the verifier's true S256 hash: only the shape check can refuse it
    # (RFC 7636 4.1: 43-128 characters of [A-Za-z0-9-._~]).
    code = await oauth.code("google", code_challenge=utf8_s256(verifier))
    response = await oauth.exchange("google", code, code_verifier=verifier)
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid code verifier.",
    }


async def test_a_plain_challenge_is_refused_when_its_verifier_would_be_malformed() -> None:
    async with harness_for(auto_approve=True, pkce_plain=True) as oauth:
        # Under "plain" the verifier is the challenge: one with a trailing newline cannot be
        # a verifier, so it is refused at authorize already.
        location = await oauth.callback(
            "google", code_challenge="a" * 43 + "\n", code_challenge_method="plain"
        )
        assert query(location)["error"] == "invalid_request"
        code = await oauth.code("google", code_challenge="a" * 43, code_challenge_method="plain")
        short = await oauth.exchange("google", code, code_verifier="a" * 42)
        assert short.json()["error"] == "invalid_grant"
        assert (await oauth.exchange("google", code, code_verifier="a" * 43)).status_code == 200


async def test_flow_without_pkce_needs_no_verifier(oauth: Harness) -> None:
    code = await oauth.code("google", code_challenge=None, code_challenge_method=None)
    response = await oauth.exchange("google", code, code_verifier=None)
    assert response.status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(
    oauth: Harness, provider: str
) -> None:
    # RFC 9700 2.1.1: a verifier without a challenge means the challenge was stripped
    # (a PKCE downgrade), so the token request is refused.
    code = await oauth.code(provider, code_challenge=None, code_challenge_method=None)
    response = await oauth.exchange(provider, code, code_verifier=new_verifier())
    assert error_of(provider, response.json()) in (
        "invalid_grant",
        "bad_verification_code",
        "fb:100/None",
    )
    # the code was not burnt: without the stray verifier it is redeemed
    assert (await oauth.exchange(provider, code, code_verifier=None)).status_code == 200


async def test_plain_pkce_is_refused_unless_enabled(oauth: Harness) -> None:
    verifier = new_verifier()
    location = await oauth.callback(
        "google", code_challenge=verifier, code_challenge_method="plain"
    )
    assert query(location)["error"] == "invalid_request"
    assert "code_challenge_method" in query(location)["error_description"]


async def test_plain_pkce_works_when_enabled() -> None:
    async with harness_for(auto_approve=True, pkce_plain=True) as oauth:
        verifier = new_verifier()
        # no method at all means "plain" (RFC 7636 4.3)
        code = await oauth.code("google", code_challenge=verifier, code_challenge_method=None)
        assert (await oauth.exchange("google", code, code_verifier=verifier)).status_code == 200
        code = await oauth.code("google", code_challenge=verifier, code_challenge_method="plain")
        wrong = await oauth.exchange("google", code, code_verifier=new_verifier())
        assert wrong.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"code_challenge": None, "code_challenge_method": "S256"}, "without code_challenge"),
        ({"code_challenge": "tooshort"}, "43-128"),
        ({"code_challenge": "a" * 43 + "\n"}, "43-128"),
        ({"code_challenge": "é" * 43}, "43-128"),
        ({"code_challenge_method": "S512"}, "Unsupported code_challenge_method"),
    ],
)
async def test_bad_pkce_parameters_are_redirected_as_invalid_request(
    oauth: Harness, params: dict[str, str | None], fragment: str
) -> None:
    location = await oauth.callback("google", **params)
    assert query(location)["error"] == "invalid_request"
    assert fragment in query(location)["error_description"]
    assert query(location)["state"] == "state-123"


async def test_require_pkce_refuses_a_request_without_challenge() -> None:
    async with harness_for(auto_approve=True, require_pkce=True) as oauth:
        location = await oauth.callback("github", code_challenge=None, code_challenge_method=None)
        assert query(location)["error"] == "invalid_request"


async def test_public_client_must_use_pkce_and_sends_no_secret() -> None:
    public = ClientConfig(client_id="spa", client_secret=None)
    async with harness_for(auto_approve=True, clients=[public]) as oauth:
        refused = await oauth.callback(
            "microsoft", client_id="spa", code_challenge=None, code_challenge_method=None
        )
        assert query(refused)["error"] == "invalid_request"
        code = await oauth.code("microsoft", client_id="spa")
        response = await oauth.exchange("microsoft", code, client_id="spa", client_secret=None)
        assert response.status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unregistered_redirect_uri_is_shown_not_redirected(
    oauth: Harness, provider: str
) -> None:
    for uri in (
        "https://evil.example/cb",
        "http://127.0.0.1:8765/cb#frag",
        "http://127.0.0.1:x/",
        "http://[::1:5/cb",  # an unclosed IPv6 bracket
        "http://[::1]:99999/cb",  # a port out of range
        "http://[zz::1]:5/cb",  # brackets around something that is no IPv6 address
        "http://[::1]x:1/cb",  # text after the brackets, which urlsplit overlooks
        "http://user@127.0.0.1:1/cb",  # credentials in the authority
        "http://localhost:/cb",  # a colon without a port
    ):
        response = await oauth.client.get(oauth.authorize_url(provider, redirect_uri=uri))
        assert response.status_code == 400
        assert "location" not in response.headers
        assert response.json()["error"] == "redirect_uri_mismatch"


async def test_loopback_redirects_on_any_port_and_path_are_allowed_by_default(
    oauth: Harness,
) -> None:
    for uri in ("http://localhost:1/a/b", "http://[::1]:65000/", "http://127.0.0.1/cb"):
        location = await oauth.callback("google", redirect_uri=uri)
        assert location.startswith(uri + "?")


async def test_registered_redirect_uris_must_match_exactly() -> None:
    client = ClientConfig(
        client_id="web",
        client_secret="s",
        redirect_uris=("https://app.example/cb", "http://127.0.0.1:*/native"),
    )
    async with harness_for(auto_approve=True, clients=[client]) as oauth:
        ok = ["https://app.example/cb", "http://127.0.0.1:4000/native", "http://127.0.0.1:9/native"]
        for uri in ok:
            assert (await oauth.callback("google", client_id="web", redirect_uri=uri)).startswith(
                uri
            )
        for uri in (
            "https://app.example/cb/",
            "http://127.0.0.1:4000/other",
            "http://localhost:1/",
        ):
            response = await oauth.client.get(
                oauth.authorize_url("google", client_id="web", redirect_uri=uri)
            )
            assert response.json()["error"] == "redirect_uri_mismatch"


async def test_missing_redirect_uri_uses_the_only_registered_one() -> None:
    client = ClientConfig(
        client_id="web", client_secret="s", redirect_uris=("https://a.example/cb",)
    )
    async with harness_for(auto_approve=True, clients=[client]) as oauth:
        location = await oauth.callback("github", client_id="web", redirect_uri=None)
        assert location.startswith("https://a.example/cb?code=")
        # the code was issued without an explicit redirect_uri: GitHub needs none at the token
        code = query(location)["code"]
        response = await oauth.exchange(
            "github", code, client_id="web", client_secret="s", redirect_uri=None
        )
        assert response.status_code == 200
    async with harness_for(auto_approve=True) as oauth:
        response = await oauth.client.get(oauth.authorize_url("github", redirect_uri=None))
        assert response.status_code == 400
        assert "redirect_uri" in response.json()["error_description"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_token_request_with_another_redirect_uri_is_refused(
    oauth: Harness, provider: str
) -> None:
    code = await oauth.code(provider)
    response = await oauth.exchange(provider, code, redirect_uri="http://127.0.0.1:9999/other")
    expected = {
        "google": "redirect_uri_mismatch",
        "microsoft": "invalid_grant",
        "github": "redirect_uri_mismatch",
        "facebook": "fb:100/36008",
    }[provider]
    assert error_of(provider, response.json()) == expected


async def test_token_request_without_the_authorize_redirect_uri_is_refused(oauth: Harness) -> None:
    code = await oauth.code("google")
    response = await oauth.exchange("google", code, redirect_uri=None)
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Missing required parameter: redirect_uri",
    }


async def test_unknown_client_is_shown_at_authorize(oauth: Harness) -> None:
    response = await oauth.client.get(oauth.authorize_url("google", client_id="nobody"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    missing = await oauth.client.get(oauth.authorize_url("google", client_id=None))
    assert missing.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_secret": None}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"client_id": None, "client_secret": None}, 400, "invalid_request"),
    ],
)
async def test_client_secret_is_checked(
    oauth: Harness, form: dict[str, str | None], status: int, error: str
) -> None:
    code = await oauth.code("google")
    response = await oauth.exchange("google", code, **form)
    assert (response.status_code, response.json()["error"]) == (status, error)


async def test_client_secret_basic_is_accepted(oauth: Harness) -> None:
    code = await oauth.code("google")
    # RFC 6749 2.3.1: the parts are form-urlencoded before they are joined
    credentials = base64.b64encode(b"apiconform-client:apiconform-secret").decode()
    response = await oauth.client.post(
        oauth.urls("google").token,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": oauth.verifier,
        },
        headers={"authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()])
async def test_malformed_basic_credentials_are_invalid_client(oauth: Harness, header: str) -> None:
    response = await oauth.client.post(
        oauth.urls("google").token,
        data={"grant_type": "authorization_code", "code": "x"},
        headers={"authorization": header},
    )
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


async def test_other_authorization_schemes_fall_back_to_form_credentials(oauth: Harness) -> None:
    tokens = await oauth.client.post(
        oauth.urls("google").token,
        data={"grant_type": "authorization_code", "code": "x", "client_id": "apiconform-client"},
        headers={"authorization": "Bearer something"},
    )
    assert tokens.json()["error"] == "invalid_client"  # no secret in the form


async def test_code_issued_to_another_client_is_refused() -> None:
    other = ClientConfig(client_id="other", client_secret="other-secret")
    default = ClientConfig(client_id="apiconform-client")
    async with harness_for(auto_approve=True, clients=[default, other]) as oauth:
        code = await oauth.code("google")
        response = await oauth.exchange(
            "google", code, client_id="other", client_secret="other-secret"
        )
        assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": None}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"code": None}, "invalid_request"),
        ({"code": "not-a-code"}, "invalid_grant"),
    ],
)
async def test_malformed_token_requests_get_oauth_errors(
    oauth: Harness, form: dict[str, str | None], error: str
) -> None:
    values = {"grant_type": "authorization_code", "code": "some-code", **form}
    response = await oauth.token("google", **values)
    assert response.status_code == 400
    assert response.json()["error"] == error


async def test_repeated_parameter_is_invalid_request(oauth: Harness) -> None:
    response = await oauth.client.post(
        oauth.urls("google").token,
        content=b"grant_type=authorization_code&grant_type=refresh_token&client_id=apiconform-client"
        b"&client_secret=apiconform-secret",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Parameter grant_type was given more than once.",
    }


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": None}, "invalid_request"),
        ({"response_mode": "form_post"}, "invalid_request"),
    ],
)
async def test_bad_authorization_requests_are_redirected_with_the_error(
    oauth: Harness, params: dict[str, str | None], error: str
) -> None:
    location = await oauth.callback("google", **params)
    assert query(location)["error"] == error
    assert query(location)["state"] == "state-123"


async def test_github_and_facebook_need_neither_response_type_nor_scope(oauth: Harness) -> None:
    for provider in ("github", "facebook"):
        location = await oauth.callback(provider, response_type=None, scope=None)
        assert "code" in query(location)


async def test_error_redirect_without_state_has_no_state(oauth: Harness) -> None:
    location = await oauth.callback("google", scope=None, state=None)
    assert "state" not in query(location)


async def test_existing_query_of_the_redirect_uri_is_kept(oauth: Harness) -> None:
    location = await oauth.callback("google", redirect_uri="http://127.0.0.1:1/cb?next=%2Fhome")
    assert query(location)["next"] == "/home"
    assert "code" in query(location)


# refresh tokens -------------------------------------------------------------------------


REFRESHING = ["google", "github", "microsoft"]  # Facebook issues no refresh tokens
REFRESH_ERROR = {
    "google": "invalid_grant",
    "github": "bad_refresh_token",
    "microsoft": "invalid_grant",
}


@pytest.mark.parametrize("provider", REFRESHING)
async def test_refresh_rotates_and_the_old_token_stops_working(
    oauth: Harness, provider: str
) -> None:
    tokens = await oauth.tokens(provider)
    first = await oauth.refresh(provider, tokens["refresh_token"])
    assert first.status_code == 200, first.text
    renewed = first.json()
    assert renewed["refresh_token"] != tokens["refresh_token"]
    assert renewed["access_token"] != tokens["access_token"]
    assert (await oauth.profile(provider, renewed["access_token"])).status_code == 200
    second = await oauth.refresh(provider, renewed["refresh_token"])
    assert second.status_code == 200, second.text
    assert "access_token" in second.json()
    # Each rotated token is spent: presenting the first or the second again is refused.
    for spent in (tokens["refresh_token"], renewed["refresh_token"]):
        again = await oauth.refresh(provider, spent)
        assert again.json()["error"] == REFRESH_ERROR[provider]
        assert "access_token" not in again.json()


@pytest.mark.parametrize("provider", REFRESHING)
async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    oauth: Harness, provider: str
) -> None:
    tokens = await oauth.tokens(provider)
    renewed = (await oauth.refresh(provider, tokens["refresh_token"])).json()
    reuse = await oauth.refresh(provider, tokens["refresh_token"])
    assert reuse.json()["error"] == REFRESH_ERROR[provider]
    # the leak is contained: the newest tokens of the family stop working too
    newest = await oauth.refresh(provider, renewed["refresh_token"])
    assert newest.json()["error"] == REFRESH_ERROR[provider]
    assert (await oauth.profile(provider, renewed["access_token"])).status_code == 401


async def test_refresh_tokens_can_be_kept_instead_of_rotated() -> None:
    async with harness_for(auto_approve=True, rotate_refresh_tokens=False) as oauth:
        tokens = await oauth.tokens("google")
        renewed = (await oauth.refresh("google", tokens["refresh_token"])).json()
        assert "refresh_token" not in renewed  # as Google: the old one stays valid
        assert (await oauth.refresh("google", tokens["refresh_token"])).status_code == 200


async def test_access_tokens_expire_so_clients_must_refresh() -> None:
    async with harness_for(auto_approve=True, lifetimes={"access_token": 300}) as oauth:
        tokens = await oauth.tokens("google")
        assert tokens["expires_in"] == 300
        oauth.app.clock.advance(299)
        assert (await oauth.profile("google", tokens["access_token"])).status_code == 200
        oauth.app.clock.advance(2)
        assert (await oauth.profile("google", tokens["access_token"])).status_code == 401
        renewed = (await oauth.refresh("google", tokens["refresh_token"])).json()
        assert (await oauth.profile("google", renewed["access_token"])).status_code == 200


async def test_refresh_tokens_expire_when_given_a_lifetime() -> None:
    async with harness_for(auto_approve=True, lifetimes={"refresh_token": 1000}) as oauth:
        tokens = await oauth.tokens("microsoft")
        oauth.app.clock.advance(1001)
        response = await oauth.refresh("microsoft", tokens["refresh_token"])
        assert response.json()["error_codes"] == [700082]


async def test_refresh_with_a_narrower_scope_is_allowed_a_wider_one_is_not(oauth: Harness) -> None:
    tokens = await oauth.tokens("google")
    narrowed = await oauth.refresh("google", tokens["refresh_token"], scope="openid email")
    assert narrowed.json()["scope"] == "openid email"
    widened = await oauth.refresh(
        "google", narrowed.json()["refresh_token"], scope="openid email drive"
    )
    assert widened.json()["error"] == "invalid_scope"


async def test_refresh_token_of_another_client_or_provider_is_refused() -> None:
    other = ClientConfig(client_id="other", client_secret="other-secret")
    default = ClientConfig(client_id="apiconform-client")
    async with harness_for(auto_approve=True, clients=[default, other]) as oauth:
        tokens = await oauth.tokens("google")
        response = await oauth.refresh(
            "google", tokens["refresh_token"], client_id="other", client_secret="other-secret"
        )
        assert response.json()["error"] == "invalid_grant"
        elsewhere = await oauth.refresh("microsoft", tokens["refresh_token"])
        assert elsewhere.json()["error"] == "invalid_grant"
        access_as_refresh = await oauth.refresh("google", tokens["access_token"])
        assert access_as_refresh.json()["error"] == "invalid_grant"


async def test_scopes_are_recorded_and_granted(oauth: Harness) -> None:
    tokens = await oauth.tokens("google", scope="openid email")
    assert tokens["scope"] == "openid email"
    [record] = [t for t in oauth.app.store.tokens() if t.value == tokens["access_token"]]
    assert record.authorization.scopes == ("openid", "email")


async def test_pkce_challenge_is_s256_of_the_verifier() -> None:
    # RFC 7636 appendix B
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
