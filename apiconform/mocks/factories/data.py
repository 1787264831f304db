"""Data factories: users, linked accounts, token sets, provider profiles and JWTs.

A :class:`DataFactory` numbers what it makes (``user1@example.com``, ``user2@...``), so
values are unique within a test and the same on every run. Each method takes keyword
overrides for any field.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from apiconform.mocks.factories.jwt import DEFAULT_SECRET, claims_for, sign_hs256, sign_rs256
from apiconform.mocks.oauth_server.app import MockOAuthApp
from apiconform.mocks.oauth_server.config import MockUser, ProviderName
from apiconform.mocks.oauth_server.facebook import Facebook
from apiconform.mocks.oauth_server.github import GitHub
from apiconform.mocks.oauth_server.google import google_claims
from apiconform.mocks.oauth_server.keys import SigningKey
from apiconform.mocks.oauth_server.microsoft import graph_me


@dataclass(frozen=True)
class UserRecord:
    """A local user as an auth module stores it (``password_hash`` None: OAuth only)."""

    id: int
    email: str | None
    name: str
    avatar_url: str | None = None
    email_verified: bool = True
    password_hash: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_login_at: datetime | None = None


@dataclass(frozen=True)
class TokenSet:
    """An OAuth token response; :meth:`as_dict` is the JSON (and authlib's token dict)."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - a token type
    expires_in: int | None = 3600
    refresh_token: str | None = None
    scope: str | None = None
    id_token: str | None = None
    expires_at: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class LinkedAccount:
    """A provider account linked to a local user, with the tokens and profile it brought."""

    user_id: int
    provider: str
    provider_user_id: str
    email: str | None
    tokens: TokenSet
    scopes: tuple[str, ...] = ()
    profile: dict[str, Any] = field(default_factory=dict)
    linked_at: datetime = field(default_factory=lambda: datetime.now(UTC))


_PROVIDER_IDS: dict[str, str] = {
    "google": "1048576{n:014d}",
    "github": "58{n:05d}",
    "facebook": "1016{n:013d}",
    "microsoft": "00000000-0000-0000-0000-{n:012d}",
}
_TOKEN_PREFIX = {"google": "ya29.", "github": "gho_", "facebook": "EAA", "microsoft": "EwB"}


class DataFactory:
    """Makes users, linked accounts, token sets, provider profiles and JWTs."""

    def __init__(
        self,
        *,
        now: datetime | None = None,
        secret: str = DEFAULT_SECRET,
        key: SigningKey | None = None,
    ) -> None:
        self.now = now or datetime.now(UTC)
        self.secret = secret
        self._key = key
        self._seq = itertools.count(1)
        self._renderer: MockOAuthApp | None = None

    def next(self) -> int:
        """The next number of the sequence (shared by everything this factory makes)."""
        return next(self._seq)

    @property
    def key(self) -> SigningKey:
        """The RSA key RS256 tokens are signed with (made on first use)."""
        if self._key is None:
            self._key = SigningKey.generate()
        return self._key

    def jwks(self) -> dict[str, Any]:
        """The JWKS that verifies :meth:`jwt_rs256` tokens."""
        return self.key.jwks()

    def user(self, **overrides: Any) -> UserRecord:
        n = self.next()
        base = UserRecord(
            id=n,
            email=f"user{n}@example.com",
            name=f"Test User {n}",
            avatar_url=f"https://example.com/avatars/{n}.png",
            created_at=self.now,
        )
        return replace(base, **overrides)

    def oauth_user(self, provider: ProviderName = "google", **overrides: Any) -> MockUser:
        """A seeded user for the mock OAuth server (GitHub's id is numeric, as GitHub's are)."""
        n = self.next()
        fields: dict[str, Any] = {
            "id": _PROVIDER_IDS[provider].format(n=n),
            "name": f"Test User {n}",
            "email": f"user{n}@example.com",
            "picture": f"https://example.com/avatars/{n}.png",
            **overrides,
        }
        return MockUser.model_validate(fields)

    def token_set(self, provider: ProviderName = "google", **overrides: Any) -> TokenSet:
        expires_in = overrides.get("expires_in", 3600)
        base = TokenSet(
            access_token=f"{_TOKEN_PREFIX[provider]}{secrets.token_urlsafe(24)}",
            refresh_token=secrets.token_urlsafe(24),
            expires_in=expires_in,
            expires_at=None if expires_in is None else int(self.now.timestamp()) + expires_in,
        )
        return replace(base, **overrides)

    def linked_account(
        self,
        user: UserRecord | None = None,
        provider: ProviderName = "google",
        **overrides: Any,
    ) -> LinkedAccount:
        """An account at ``provider`` linked to ``user`` (a new one if None), its profile
        shaped as the provider returns it."""
        user = user or self.user()
        oauth = self.oauth_user(provider, name=user.name, email=user.email)
        base = LinkedAccount(
            user_id=user.id,
            provider=provider,
            provider_user_id=oauth.id,
            email=user.email,
            tokens=self.token_set(provider),
            scopes=("openid", "email", "profile"),
            profile=self.profile(provider, oauth),
            linked_at=self.now,
        )
        return replace(base, **overrides)

    def profile(self, provider: ProviderName, user: MockUser) -> dict[str, Any]:
        """``user``'s profile exactly as the mock's provider endpoint returns it (Google
        userinfo, GitHub ``/user``, Facebook ``/me`` with every field, Graph ``/me``)."""
        if provider == "google":
            return google_claims(user, ("openid", "email", "profile"))
        if provider == "microsoft":
            return graph_me(user)
        renderer = self._renderer = self._renderer or MockOAuthApp()
        if provider == "github":
            github = renderer.providers["github"]
            assert isinstance(github, GitHub)
            return github.user_resource(user, "", real=True)
        facebook = renderer.providers["facebook"]
        assert isinstance(facebook, Facebook)
        return facebook.fields(user, email_granted=True)

    def jwt_hs256(
        self, subject: str = "user-1", *, secret: str | None = None, **claims: Any
    ) -> str:
        """An HS256 JWT for ``subject``; ``claims`` as :func:`claims_for` takes them."""
        claims.setdefault("now", self.now.timestamp())
        return sign_hs256(claims_for(subject, **claims), secret or self.secret)

    def jwt_rs256(self, subject: str = "user-1", **claims: Any) -> str:
        """An RS256 JWT for ``subject`` signed with :attr:`key`."""
        claims.setdefault("now", self.now.timestamp())
        return sign_rs256(claims_for(subject, **claims), self.key)

    def expired_jwt(self, subject: str = "user-1", **claims: Any) -> str:
        """An HS256 JWT that expired a minute ago."""
        claims.setdefault("now", (self.now - timedelta(hours=1)).timestamp())
        claims.setdefault("lifetime", 3540)
        return self.jwt_hs256(subject, **claims)
