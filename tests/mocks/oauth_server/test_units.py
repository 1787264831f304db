"""Small parts: host mapping, clock, keys, token store, users, parameters."""

from __future__ import annotations

import jwt
import pytest

from apiconform.mocks.oauth_server import Clock, MockUser
from apiconform.mocks.oauth_server.config import Lifetimes
from apiconform.mocks.oauth_server.errors import FlowError
from apiconform.mocks.oauth_server.hosts import is_real_host, mock_path, public_url
from apiconform.mocks.oauth_server.keys import KeyRing, SigningKey, jwk_thumbprint, token_hash
from apiconform.mocks.oauth_server.params import Params
from apiconform.mocks.oauth_server.state import Authorization, PendingConsent, TokenStore
from apiconform.mocks.oauth_server.users import UserDirectory


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("accounts.google.com", "/o/oauth2/v2/auth", "/google/o/oauth2/v2/auth"),
        ("oauth2.googleapis.com", "/token", "/google/token"),
        ("api.github.com", "/user/emails", "/github/api/user/emails"),
        ("github.com", "/login/oauth/access_token", "/github/login/oauth/access_token"),
        ("graph.facebook.com", "/v19.0/me", "/facebook/v19.0/me"),
        ("login.microsoftonline.com", "/common/oauth2/v2.0/token", "/microsoft/oauth2/v2.0/token"),
        ("graph.microsoft.com", "/v1.0/me", "/microsoft/graph/v1.0/me"),
        ("example.com", "/token", None),
    ],
)
def test_real_urls_map_to_mock_paths(host: str, path: str, expected: str | None) -> None:
    assert mock_path(host, path) == expected


def test_public_urls_point_at_the_mock_or_the_real_host() -> None:
    assert public_url(
        base="http://m/", real=False, provider="github", role="api", path="/user"
    ) == ("http://m/github/api/user")
    real = public_url(base="", real=True, provider="microsoft", role="login", path="/x", tenant="t")
    assert real == "https://login.microsoftonline.com/t/x"
    assert is_real_host("api.github.com")
    assert not is_real_host("127.0.0.1")


def test_clock_is_real_time_plus_offset_or_frozen() -> None:
    frozen = Clock(start=1000.0)
    frozen.advance(5)
    assert frozen.now() == 1005.0
    live = Clock()
    before = live.now()
    live.advance(3600)
    assert live.now() >= before + 3600
    with pytest.raises(ValueError, match="forward"):
        live.advance(-1)


def test_keys_have_thumbprint_kids_and_verify_their_signatures() -> None:
    key = SigningKey.generate()
    assert key.kid == jwk_thumbprint(key.public_jwk())
    token = key.sign({"sub": "x"}, {"typ": "JWT"})
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    public = jwt.PyJWK(key.jwks()["keys"][0]).key
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"sub": "x"}
    ring = KeyRing()
    assert ring.get("a") is ring.get("a")
    # OIDC Core 3.1.3.6 example: at_hash is the left half of the SHA-256, base64url
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") == "77QmUPtjPfzWtF2AnpK9RQ"


def _authorization(**fields: object) -> Authorization:
    values: dict[str, object] = {
        "provider": "google", "client_id": "c", "user_id": "u", "scopes": ("openid",),
        "nonce": None, "offline": True, "auth_time": 0.0, "family": "f",
    }  # fmt: skip
    values.update(fields)
    return Authorization(**values)  # type: ignore[arg-type]


def test_store_refuses_tokens_of_the_wrong_kind_provider_or_client() -> None:
    store = TokenStore(Clock(start=0), Lifetimes())
    access = store.issue("access", _authorization(), prefix="a-", lifetime=10)
    refresh = store.issue("refresh", _authorization(), prefix="r-", lifetime=None)
    assert access.value.startswith("a-")
    assert access.expires_in(4) == 6
    assert refresh.expires_in(4) is None
    assert store.access_token(access.value, "google") is access
    for value, provider in ((refresh.value, "google"), (access.value, "github"), ("x", "google")):
        with pytest.raises(FlowError) as caught:
            store.access_token(value, provider)
        assert caught.value.reason == "token_unknown"
    with pytest.raises(FlowError, match="another client"):
        store.refresh(refresh.value, "google", "other")
    store.revoke_family("f")
    with pytest.raises(FlowError, match="revoked"):
        store.access_token(access.value, "google")


def test_a_code_redeemed_concurrently_counts_as_replayed() -> None:
    store = TokenStore(Clock(start=0), Lifetimes())
    pending = PendingConsent(
        id="p", provider="google", client_id="c", redirect_uri="http://x", redirect_given=True,
        scopes=(), state=None, nonce=None, code_challenge=None, code_challenge_method=None,
        login_hint=None, offline=False, expires_at=100,
    )  # fmt: skip
    code = store.issue_code(pending, "u")
    first = store.find_code(code, "google", "c")
    second = store.find_code(code, "google", "c")
    store.use_code(first)
    with pytest.raises(FlowError) as caught:
        store.use_code(second)
    assert caught.value.reason == "code_replayed"
    with pytest.raises(FlowError, match="not known"):
        store.find_code(code, "github", "c")


def test_users_change_and_reset() -> None:
    directory = UserDirectory({"google": [MockUser(id="1", name="A")], "github": []})
    assert directory.choose("google", "nobody").id == "1"
    directory.put("google", "1", {"name": "B"})
    assert directory.get("google", "1").name == "B"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="numbers"):
        directory.put("github", "abc", {"name": "x"})
    directory.reset()
    assert directory.get("google", "1").name == "A"  # type: ignore[union-attr]


def test_params_treat_empty_as_absent_and_refuse_repeats() -> None:
    params = Params([("a", ""), ("b", "1"), ("c", "1"), ("c", "2")])
    assert params.get("a") is None
    assert params.require("b") == "1"
    assert params.first("c") == "1"
    assert params.first("z") is None
    assert "a" in params
    with pytest.raises(FlowError, match="more than once"):
        params.get("c")
    with pytest.raises(FlowError, match="Missing required parameter: a"):
        params.require("a")


def test_revoking_a_family_leaves_other_families_alone() -> None:
    store = TokenStore(Clock(start=0), Lifetimes())
    mine = store.issue("access", _authorization(family="mine"), prefix="", lifetime=None)
    other = store.issue("access", _authorization(family="other"), prefix="", lifetime=None)
    store.revoke_family("mine")
    assert mine.status == "revoked"
    assert store.access_token(other.value, "google") is other
