"""What a successful login against the mock looks like, whichever client made it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import httpx

from apiconform.mocks.oauth_server import MockOAuthServer
from apiconform.mocks.oauth_server.state import TokenRecord

REDIRECT = "http://127.0.0.1:8765/auth/callback"
# The default user of each provider: id, email.
USERS = {
    "google": ("104857600000000000001", "ada.lovelace@example.com"),
    "github": ("5830001", "grace.hopper@example.com"),
    "facebook": ("10160000000000001", "katherine.johnson@example.com"),
    "microsoft": ("00000000-0000-0000-a1b2-c3d4e5f60001", "alan.turing@example.com"),
}
# Providers that issue refresh tokens; Facebook exchanges a token for a long-lived one.
REFRESHING = frozenset({"google", "github", "microsoft"})


@dataclass
class Login:
    """What a client got out of one login: the user as it read the profile, the tokens, and
    the token it renewed (refresh, or Facebook's long-lived exchange) with the profile read
    again using it."""

    user_id: str
    email: str | None
    access_token: str
    refresh_token: str | None = None
    renewed_token: str | None = None
    renewed_user_id: str | None = None


def fingerprint(token: str) -> str:
    """How a client outside this process reports a token without printing it."""
    return hashlib.sha256(token.encode()).hexdigest()


def issued(
    mock: MockOAuthServer, provider: str, token: str, *, by_fingerprint: bool = False
) -> TokenRecord:
    """The mock's record of ``token`` (or of the token with that fingerprint)."""
    matches = [
        record
        for record in mock.app.store.tokens()
        if (fingerprint(record.value) if by_fingerprint else record.value) == token
    ]
    assert len(matches) == 1, f"{provider}: the client holds a token the mock never issued"
    record: TokenRecord = matches[0]
    assert record.authorization.provider == provider
    return record


def browse(url: str) -> str:
    """What a browser does between the client's redirect and its callback, in auto-approve
    mode: follow the authorization URL to the provider's redirect. The fragment Facebook
    appends stays in the browser."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return str(response.headers["location"]).split("#", 1)[0]


def check_login(
    mock: MockOAuthServer,
    provider: str,
    login: Login,
    *,
    user_id: str | None = None,
    email: str | None = None,
    by_fingerprint: bool = False,
) -> None:
    """The login reached the right user with tokens the mock issued, and the renewal gave a
    new live access token that reads the same profile."""
    expected_id, expected_email = USERS[provider]
    assert login.user_id == (user_id or expected_id)
    assert login.email == (email or expected_email)
    access = issued(mock, provider, login.access_token, by_fingerprint=by_fingerprint)
    assert (access.kind, access.authorization.user_id) == ("access", expected_id)
    assert access.authorization.client_id == mock.client_id
    assert login.renewed_token is not None, "the client did not renew its token"
    renewed = issued(mock, provider, login.renewed_token, by_fingerprint=by_fingerprint)
    assert (renewed.kind, renewed.status) == ("access", "active")
    assert renewed.value != access.value
    assert renewed.authorization.family == access.authorization.family
    assert login.renewed_user_id == login.user_id
    if provider in REFRESHING:
        assert login.refresh_token is not None
        refresh = issued(mock, provider, login.refresh_token, by_fingerprint=by_fingerprint)
        assert (refresh.kind, refresh.status) == ("refresh", "rotated")  # it was used
    else:
        assert login.refresh_token is None
