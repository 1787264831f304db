"""The ``[auth]`` config section: providers, state lifetime, session tokens, pages."""

from __future__ import annotations

from typing import Literal

from cryptography.fernet import Fernet
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

ProviderName = Literal["google", "github", "facebook", "microsoft"]
PROVIDER_NAMES: tuple[ProviderName, ...] = ("google", "github", "facebook", "microsoft")
# the mock OAuth server's published default client (apiconform.mocks.oauth_server)
MOCK_CLIENT_ID = "apiconform-client"
MOCK_CLIENT_SECRET = "apiconform-secret"  # noqa: S105 - a public test credential


class ProviderSettings(BaseModel):
    """``[auth.providers.<name>]``. An enabled provider needs ``client_id`` and
    ``client_secret``; every endpoint defaults to the provider's real one (or the mock's
    when ``[auth] mock_url`` is set)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    client_id: str | None = Field(default=None, min_length=1)
    client_secret: str | None = Field(default=None, min_length=1, repr=False)
    callback_url: HttpUrl | None = None
    scopes: list[str] | None = None
    base_url: HttpUrl | None = None
    authorize_url: HttpUrl | None = None
    token_url: HttpUrl | None = None
    profile_url: HttpUrl | None = None
    emails_url: HttpUrl | None = None
    jwks_url: HttpUrl | None = None
    issuer: str | None = None
    tenant: str = Field(default="common", pattern=r"^[A-Za-z0-9.-]{1,100}$")


class AuthConfig(BaseModel):
    """``[auth]``: no provider configured means no provider login (local accounts stay)."""

    model_config = ConfigDict(extra="forbid")

    providers: dict[ProviderName, ProviderSettings] = Field(default_factory=dict)
    mock_url: HttpUrl | None = None
    """Point every provider at this mock OAuth server (``apiconform mock-oauth``), with
    the mock's default client for the providers not configured otherwise."""
    state_ttl: float = Field(default=600.0, gt=0, le=3600)
    provider_timeout: float = Field(default=5.0, gt=0, le=60)
    session_secret: str | None = Field(default=None, min_length=32, repr=False)
    """HMAC key of the session JWTs; none: a random key per application start."""
    token_key: str | None = Field(default=None, repr=False)
    """Fernet key for provider tokens at rest; none: a random key per application start."""
    session_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    session_ttl: int = Field(default=3600, ge=60, le=86400 * 30)
    issuer: str = "apiconform"
    audience: str = "apiconform"
    session_cookie: str = Field(default="apiconform_session", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    secure_cookies: bool = False
    error_page: str = Field(default="/auth/error", pattern=r"^/[A-Za-z0-9/_-]*$")
    after_login: str = Field(default="/auth/me", pattern=r"^/[A-Za-z0-9/_-]*$")
    local_accounts: bool = True

    @field_validator("token_key")
    @classmethod
    def _fernet_key(cls, key: str | None) -> str | None:
        if key is not None:
            try:
                Fernet(key.encode())
            except ValueError:
                raise ValueError(
                    "token_key must be a Fernet key (32 url-safe base64 bytes)"
                ) from None
        return key

    @model_validator(mode="after")
    def _enabled_providers_are_complete(self) -> AuthConfig:
        for name, settings in self.providers.items():
            if not settings.enabled or self.mock_url is not None:
                continue
            for field in ("client_id", "client_secret"):
                if getattr(settings, field) is None:
                    raise ValueError(f"provider {name!r} is enabled but has no {field}")
        return self
