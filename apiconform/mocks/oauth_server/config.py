"""Configuration of the mock OAuth server: clients, seeded users, lifetimes and switches.

Everything has a default, so ``MockOAuthConfig()`` is a working server: the client
``apiconform-client`` / ``apiconform-secret`` redirecting to any loopback URL, and one user
with a verified email per provider. A TOML file or keyword overrides change only what they
name; a bad value raises :class:`~apiconform.errors.ConfigError` naming the field.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from apiconform.common.validation import describe
from apiconform.errors import ConfigError
from apiconform.mocks.oauth_server.faults import Faults

ProviderName = Literal["google", "github", "facebook", "microsoft"]
PROVIDERS: tuple[ProviderName, ...] = ("google", "github", "facebook", "microsoft")

DEFAULT_CLIENT_ID = "apiconform-client"
DEFAULT_CLIENT_SECRET = "apiconform-secret"  # noqa: S105 - a published test credential
# RFC 8252 section 7.3: native apps redirect to a loopback port chosen at run time.
LOOPBACK_REDIRECTS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")
# The consumer tenant of Microsoft accounts; any GUID works.
DEFAULT_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"


class ClientConfig(BaseModel):
    """A registered OAuth client (one registration is valid at every provider).

    ``public = true`` (or ``client_secret = None``) makes a public client: it has no secret
    to authenticate with, so it must use PKCE. ``redirect_uris`` lists the exact URIs
    allowed; ``*`` may stand for the port. An empty list allows any loopback URL
    (``http://127.0.0.1:*``, ``http://localhost:*``, ``http://[::1]:*``, any path).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1)
    client_secret: str | None = Field(default=DEFAULT_CLIENT_SECRET, min_length=1)
    public: bool = False
    redirect_uris: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _public_has_no_secret(cls, data: Any) -> Any:
        # TOML has no null: a public client says ``public = true`` instead.
        if isinstance(data, dict):
            if data.get("public"):
                return {**data, "client_secret": None}
            if "client_secret" in data and data["client_secret"] is None:
                return {**data, "public": True}
        return data

    @property
    def shown_secret(self) -> str | None:
        """The secret as banners and ``GET /`` show it: the published default as it is, any
        other as ``***`` (it may be a real one), ``None`` for a public client."""
        if self.client_secret is None or self.client_secret == DEFAULT_CLIENT_SECRET:
            return self.client_secret
        return "***"

    @field_validator("redirect_uris")
    @classmethod
    def _absolute_without_fragment(cls, uris: tuple[str, ...]) -> tuple[str, ...]:
        for uri in uris:
            parts = urlsplit(uri.replace(":*", ":1", 1))
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{uri!r} is not an absolute http(s) URI")
            if "#" in uri:
                raise ValueError(f"{uri!r} has a fragment, which redirect URIs must not have")
        return uris


class MockUser(BaseModel):
    """A seeded account at one provider.

    ``id`` is the provider's id for the person (Google and Microsoft ``sub``/``oid``,
    GitHub's numeric id, Facebook's app-scoped id). ``username`` is GitHub's ``login`` and
    Microsoft's ``userPrincipalName``; it defaults to the email's local part (GitHub) or the
    email (Microsoft). ``email_public`` is whether GitHub's ``/user`` shows the email.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._@-]+$")
    name: str = Field(min_length=1)
    email: str | None = None
    email_verified: bool = True
    email_public: bool = True
    picture: str | None = None
    username: str | None = None

    @property
    def given_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def family_name(self) -> str | None:
        parts = self.name.split(" ", 1)
        return parts[1] if len(parts) > 1 else None

    def handle(self) -> str:
        """A user name: ``username``, else the email's local part, else ``user<id>``."""
        if self.username:
            return self.username
        if self.email:
            return self.email.split("@", 1)[0]
        return f"user{self.id}"

    def matches(self, hint: str) -> bool:
        """Whether ``hint`` (a ``login_hint``) names this user: id, email or username."""
        return hint in (self.id, self.email, self.username)


def default_users() -> dict[ProviderName, list[MockUser]]:
    """One user with a verified email per provider."""
    return {
        "google": [
            MockUser(
                id="104857600000000000001",
                name="Ada Lovelace",
                email="ada.lovelace@example.com",
                picture="https://example.com/avatars/ada.png",
            )
        ],
        "github": [
            MockUser(
                id="5830001",
                name="Grace Hopper",
                email="grace.hopper@example.com",
                username="gracehopper",
                picture="https://example.com/avatars/grace.png",
            )
        ],
        "facebook": [
            MockUser(
                id="10160000000000001",
                name="Katherine Johnson",
                email="katherine.johnson@example.com",
                picture="https://example.com/avatars/katherine.png",
            )
        ],
        "microsoft": [
            MockUser(
                id="00000000-0000-0000-a1b2-c3d4e5f60001",
                name="Alan Turing",
                email="alan.turing@example.com",
                username="alan.turing@example.com",
                picture="https://example.com/avatars/alan.png",
            )
        ],
    }


class Lifetimes(BaseModel):
    """How long things live, in seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: float = Field(default=60, gt=0)
    access_token: float = Field(default=3600, gt=0)
    # None: until used or revoked (at GitHub, whose tokens always expire: six months)
    refresh_token: float | None = Field(default=None, gt=0)
    consent: float = Field(default=600, gt=0)  # a consent page left open
    long_lived_token: float = Field(default=60 * 86400, gt=0)  # Facebook fb_exchange_token


class MockOAuthConfig(BaseModel):
    """The whole configuration of one mock OAuth server."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clients: tuple[ClientConfig, ...] = (ClientConfig(client_id=DEFAULT_CLIENT_ID),)
    users: dict[ProviderName, list[MockUser]] = Field(default_factory=default_users)
    lifetimes: Lifetimes = Field(default_factory=Lifetimes)
    auto_approve: bool = False
    pkce_plain: bool = False
    require_pkce: bool = False
    rotate_refresh_tokens: bool = True
    faults: dict[ProviderName, Faults] = Field(default_factory=dict)
    microsoft_tenant_id: str = Field(default=DEFAULT_TENANT_ID, pattern=r"^[0-9a-fA-F-]{36}$")

    @field_validator("users")
    @classmethod
    def _every_provider_has_users(
        cls, users: dict[ProviderName, list[MockUser]]
    ) -> dict[ProviderName, list[MockUser]]:
        # A provider the config does not mention keeps its default user.
        merged = default_users()
        merged.update(users)
        for provider, seeded in merged.items():
            if not seeded:
                raise ValueError(f"{provider}: at least one user is needed")
            ids = [user.id for user in seeded]
            if len(set(ids)) != len(ids):
                raise ValueError(f"{provider}: user ids must be unique")
        for user in merged["github"]:
            if not user.id.isdigit():
                raise ValueError(f"github: user id {user.id!r} must be a number, as GitHub's are")
        return merged

    @model_validator(mode="after")
    def _unique_clients(self) -> MockOAuthConfig:
        ids = [client.client_id for client in self.clients]
        if not ids:
            raise ValueError("clients: at least one client is needed")
        if len(set(ids)) != len(ids):
            raise ValueError("clients: client ids must be unique")
        return self

    def client(self, client_id: str) -> ClientConfig | None:
        return next((c for c in self.clients if c.client_id == client_id), None)


def build_config(base: MockOAuthConfig | None = None, /, **overrides: Any) -> MockOAuthConfig:
    """``base`` (defaults if None) with top-level fields replaced by ``overrides``.

    ``users`` and ``faults`` merge per provider: ``users={"google": [...]}`` replaces
    Google's users and keeps the others'.
    """
    data = (base or MockOAuthConfig()).model_dump()
    for key, value in overrides.items():
        if key in ("users", "faults") and isinstance(value, dict):
            data[key] = {**data[key], **_dumped(value)}
        else:
            data[key] = _dumped(value)
    return _validate(data, "invalid mock OAuth config")


def _dumped(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: _dumped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dumped(v) for v in value]
    return value


def _validate(data: dict[str, Any], prefix: str) -> MockOAuthConfig:
    try:
        return MockOAuthConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{prefix}: {_tidy(describe(exc))}") from None


def _tidy(message: str) -> str:
    # pydantic prefixes model-level errors with "Value error, "; the field path says enough.
    return re.sub(r"Value error, ", "", message)


def load_config(path: Path) -> MockOAuthConfig:
    """Read a TOML config file; errors name the file and the offending field."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return _validate(raw, f"{path}: invalid config")
