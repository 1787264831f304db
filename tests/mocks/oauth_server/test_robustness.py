"""Bad input gets the provider's error shape, never a 500."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiconform.mocks.oauth_server import MockOAuthApp, MockOAuthTransport, build_config

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
VALUES = st.one_of(
    st.sampled_from(
        ["apiconform-client", "apiconform-secret", "http://127.0.0.1:1/cb", "code", "S256",
         "plain", "authorization_code", "refresh_token", "fb_exchange_token", "approve", "deny",
         "openid email", "", "x" * 50]
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
