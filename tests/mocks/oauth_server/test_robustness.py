"""Bad input gets the provider's error shape, never a 500."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiconform.mocks.oauth_server import MockOAuthApp, MockOAuthTransport, build_config
from apiconform.mocks.oauth_server.pkce import s256

APP = MockOAuthApp(build_config(auto_approve=True))
BASE = "http://mock.test"
PATHS = [
    url.removeprefix(BASE)
    for provider in ("google", "github", "facebook", "microsoft")
    for url in APP.endpoints(provider, BASE).as_dict().values()  # type: ignore[arg-type]
    if url.startswith(BASE)
] + [
    "/google/_consent",
    "/_control/faults/google",
    "/_control/users/github/1",
    "/_control/requests",
]
NAMES = [
    "client_id", "client_secret", "redirect_uri", "response_type", "scope", "state", "code",
    "grant_type", "code_verifier", "code_challenge", "code_challenge_method", "refresh_token",
    "fields", "access_token", "request_id", "decision", "user", "login_hint", "fb_exchange_token",
]  # fmt: skip
# Redirect URIs that look like IPv6 loopback ones, well-formed or not.
IPV6_URIS = [
    "http://[::1]:1/cb", "http://[::1:5/cb", "http://[::1]:99999/", "http://[zz::1]:5/",
    "http://[::1]", "http://[]:1/", "http://[::1]x:1/", "http://[v1.fe]:1/",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        ["apiconform-client", "apiconform-secret", "http://127.0.0.1:1/cb", "code", "S256",
         "plain", "authorization_code", "refresh_token", "fb_exchange_token", "approve", "deny",
         "openid email", "", "x" * 50, *IPV6_URIS]
    ),
    st.text(max_size=20),
)  # fmt: skip
PARAMS = st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=8)
HEADERS = st.sampled_from(
    [{}, {"authorization": "Basic !!"}, {"authorization": "Bearer x"}, {"authorization": "token"},
     {"accept": "application/json"}, {"content-type": "application/json"}]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    query=PARAMS,
    form=PARAMS,
    raw=st.binary(max_size=40),
    headers=HEADERS,
)
def test_no_input_makes_the_mock_fail(
    path: str,
    method: str,
    query: list[tuple[str, str]],
    form: list[tuple[str, str]],
    raw: bytes,
    headers: dict[str, str],
) -> None:
    content = str(httpx.QueryParams(form)).encode() if form else raw
    with httpx.Client(transport=MockOAuthTransport(APP), base_url=BASE) as client:
        response = client.request(method, path, params=query, content=content, headers=headers)
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert "error" in response.json() or "message" in response.json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    provider=st.sampled_from(["google", "github", "facebook", "microsoft"]),
    redirect_uri=st.one_of(
        st.sampled_from(IPV6_URIS), st.text(max_size=30).map(lambda t: f"http://[{t}"), VALUES
    ),
    extra=PARAMS,
)
def test_no_redirect_uri_makes_the_authorization_endpoint_fail(
    provider: str, redirect_uri: str, extra: list[tuple[str, str]]
) -> None:
    params = [("client_id", "apiconform-client"), ("redirect_uri", redirect_uri), *extra]
    url = APP.endpoints(provider, BASE).authorize  # type: ignore[arg-type]
    with httpx.Client(transport=MockOAuthTransport(APP), base_url=BASE) as client:
        response = client.get(url, params=params)
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code == 302:  # only ever to the URI the request named
        assert response.headers["location"].startswith(redirect_uri)


# The token endpoint past client authentication: a live code, then fuzzed redemptions.

REDIRECT = "http://127.0.0.1:1/cb"
TOKEN_APP = MockOAuthApp(build_config(auto_approve=True, pkce_plain=True))
PROVIDERS = ("google", "github", "facebook", "microsoft")


@dataclass(frozen=True)
class Seeded:
    provider: str
    code: str
    verifier: str | None  # None: issued without a code_challenge


Seeder = Callable[[str, str], Seeded]


@pytest.fixture(scope="module")
def seed_code() -> Iterator[Seeder]:
    """Issues a fresh code through a real authorization request (S256, plain or no PKCE)."""
    with httpx.Client(transport=MockOAuthTransport(TOKEN_APP), base_url=BASE) as client:

        def seed(provider: str, pkce: str) -> Seeded:
            verifier = secrets.token_urlsafe(40) if pkce != "none" else None
            params = {"client_id": "apiconform-client", "redirect_uri": REDIRECT,
                      "response_type": "code", "scope": "openid email offline_access"}  # fmt: skip
            if verifier is not None:
                params["code_challenge"] = s256(verifier) if pkce == "S256" else verifier
                params["code_challenge_method"] = pkce
            url = TOKEN_APP.endpoints(provider, BASE).authorize  # type: ignore[arg-type]
            location = client.get(url, params=params).headers["location"]
            return Seeded(provider, httpx.URL(location).params["code"], verifier)

        yield seed


# The seeded code's own verifier (RIGHT), none, or one of the wrong shape or content.
RIGHT = object()
VERIFIERS = st.one_of(
    st.sampled_from(
        [RIGHT, None, "é" * 43, "a" * 43 + "\n", "a" * 42, "a" * 129, " " * 43, "", "%" * 43]
    ),
    st.text(min_size=40, max_size=130),
    st.from_regex(r"[A-Za-z0-9\-._~]{43,128}", fullmatch=True),
)
# Mostly the right one, so that the request reaches the PKCE check.
REDIRECTS = st.one_of(
    st.just(REDIRECT), st.sampled_from([None, "", "http://127.0.0.1:2/cb", *IPV6_URIS])
)
OVERRIDES = st.dictionaries(
    st.sampled_from(["client_id", "client_secret", "grant_type", "code", "scope"]),
    st.one_of(st.none(), VALUES),
    max_size=2,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    provider=st.sampled_from(PROVIDERS),
    pkce=st.sampled_from(["S256", "plain", "none"]),
    verifier=VERIFIERS,
    redirect_uri=REDIRECTS,
    overrides=st.one_of(st.just({}), OVERRIDES),
    basic=st.booleans(),
)
def test_no_token_request_for_a_live_code_makes_the_mock_fail(
    seed_code: Seeder,
    provider: str,
    pkce: str,
    verifier: object,
    redirect_uri: str | None,
    overrides: dict[str, str | None],
    basic: bool,
) -> None:
    seeded = seed_code(provider, pkce)
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": seeded.code,
        "redirect_uri": redirect_uri,
        "code_verifier": seeded.verifier if verifier is RIGHT else cast("str | None", verifier),
        "client_id": "apiconform-client",
        "client_secret": "apiconform-secret",
    }
    form.update(overrides)
    headers = {"accept": "application/json"}
    if basic:
        headers["authorization"] = "Basic " + base64.b64encode(
            f"{form.pop('client_id') or ''}:{form.pop('client_secret') or ''}".encode()
        ).decode("ascii")
    data = {k: v for k, v in form.items() if v is not None}
    url = TOKEN_APP.endpoints(provider, BASE).token  # type: ignore[arg-type]
    with httpx.Client(transport=MockOAuthTransport(TOKEN_APP), base_url=BASE) as client:
        response = client.post(url, data=data, headers=headers)
    assert response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    if "access_token" not in body:
        assert "error" in body
        return
    # A code is only redeemed by the verifier of its challenge, and none without one (an
    # empty parameter counts as absent, RFC 6749 section 3.1).
    assert data.get("code") == seeded.code
    assert (data.get("code_verifier") or None) == seeded.verifier
    assert data.get("redirect_uri") in (None, "", REDIRECT)
