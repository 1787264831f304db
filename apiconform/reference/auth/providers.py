"""The four providers: their endpoints (real and on the mock OAuth server), default scopes
and protocol quirks, resolved from the ``[auth]`` config into one :class:`Provider` each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from apiconform.reference.auth.config import (
    MOCK_CLIENT_ID,
    MOCK_CLIENT_SECRET,
    PROVIDER_NAMES,
    AuthConfig,
    ProviderName,
    ProviderSettings,
)

TokenAuth = Literal["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class Endpoints:
    authorize: str
    token: str
    profile: str
    emails: str | None = None
    jwks: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class ProviderKind:
    """What does not change between deployments of one provider."""

    name: ProviderName
    title: str
    scopes: tuple[str, ...]
    oidc: bool
    real: Endpoints
    mock_paths: Endpoints
    token_auth: TokenAuth = "client_secret_basic"  # noqa: S105 - a method name
    extra_params: dict[str, str] = field(default_factory=dict)


KINDS: dict[ProviderName, ProviderKind] = {
    "google": ProviderKind(
        "google",
        "Google",
        ("openid", "email", "profile"),
        True,
        Endpoints(
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            "https://openidconnect.googleapis.com/v1/userinfo",
            jwks="https://www.googleapis.com/oauth2/v3/certs",
            issuer="https://accounts.google.com",
        ),
        Endpoints(
            "/google/o/oauth2/v2/auth",
            "/google/token",
            "/google/v1/userinfo",
            jwks="/google/oauth2/v3/certs",
            issuer="/google",
        ),
        extra_params={"access_type": "offline"},  # Google's way to grant a refresh token
    ),
    "github": ProviderKind(
        "github",
        "GitHub",
        ("read:user", "user:email"),
        False,
        Endpoints(
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            "https://api.github.com/user",
            emails="https://api.github.com/user/emails",
        ),
        Endpoints(
            "/github/login/oauth/authorize",
            "/github/login/oauth/access_token",
            "/github/api/user",
            emails="/github/api/user/emails",
        ),
    ),
    "facebook": ProviderKind(
        "facebook",
        "Facebook",
        ("email", "public_profile"),
        False,
        Endpoints(
            "https://www.facebook.com/v19.0/dialog/oauth",
            "https://graph.facebook.com/v19.0/oauth/access_token",
            "https://graph.facebook.com/v19.0/me",
        ),
        Endpoints("/facebook/dialog/oauth", "/facebook/oauth/access_token", "/facebook/me"),
        token_auth="client_secret_post",  # noqa: S106 - Facebook ignores HTTP Basic
    ),
    "microsoft": ProviderKind(
        "microsoft",
        "Microsoft",
        ("openid", "profile", "email", "offline_access", "User.Read"),
        True,
        Endpoints(
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
            "https://graph.microsoft.com/v1.0/me",
            jwks="https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys",
            # multi-tenant: each token names its tenant, the issuer follows it
            issuer="https://login.microsoftonline.com/{tenantid}/v2.0",
        ),
        Endpoints(
            "/microsoft/oauth2/v2.0/authorize",
            "/microsoft/oauth2/v2.0/token",
            "/microsoft/graph/v1.0/me",
            jwks="/microsoft/discovery/v2.0/keys",
            issuer="/microsoft/v2.0",
        ),
    ),
}


@dataclass(frozen=True)
class Provider:
    """One enabled provider, ready to use."""

    kind: ProviderKind
    client_id: str
    client_secret: str
    endpoints: Endpoints
    scopes: tuple[str, ...]
    callback_url: str | None

    @property
    def name(self) -> ProviderName:
        return self.kind.name


def _on(base: str, paths: Endpoints) -> Endpoints:
    def join(path: str | None) -> str | None:
        return None if path is None else base.rstrip("/") + path

    return Endpoints(
        base.rstrip("/") + paths.authorize,
        base.rstrip("/") + paths.token,
        base.rstrip("/") + paths.profile,
        emails=join(paths.emails),
        jwks=join(paths.jwks),
        issuer=join(paths.issuer),
    )


def _endpoints(kind: ProviderKind, settings: ProviderSettings, mock_url: str | None) -> Endpoints:
    base = str(settings.base_url) if settings.base_url else mock_url
    if base:
        found = _on(base, kind.mock_paths)
    else:
        real = kind.real
        tenant = settings.tenant
        found = Endpoints(
            real.authorize.replace("{tenant}", tenant),
            real.token.replace("{tenant}", tenant),
            real.profile,
            emails=real.emails,
            jwks=real.jwks.replace("{tenant}", tenant) if real.jwks else None,
            issuer=real.issuer,
        )

    def pick(own: object, default: str | None) -> str | None:
        return str(own) if own is not None else default

    return Endpoints(
        pick(settings.authorize_url, found.authorize) or found.authorize,
        pick(settings.token_url, found.token) or found.token,
        pick(settings.profile_url, found.profile) or found.profile,
        emails=pick(settings.emails_url, found.emails),
        jwks=pick(settings.jwks_url, found.jwks),
        issuer=settings.issuer or found.issuer,
    )


def resolve_providers(config: AuthConfig) -> dict[ProviderName, Provider]:
    """The enabled providers. With ``mock_url`` every provider not disabled is enabled,
    with the mock's default client where none is configured."""
    mock_url = str(config.mock_url) if config.mock_url else None
    names = PROVIDER_NAMES if mock_url else tuple(config.providers)
    providers: dict[ProviderName, Provider] = {}
    for name in names:
        settings = config.providers.get(name) or ProviderSettings()
        if not settings.enabled:
            continue
        kind = KINDS[name]
        client_id = settings.client_id or MOCK_CLIENT_ID
        secret = settings.client_secret or MOCK_CLIENT_SECRET
        providers[name] = Provider(
            kind=kind,
            client_id=client_id,
            client_secret=secret,
            endpoints=_endpoints(kind, settings, mock_url),
            scopes=tuple(settings.scopes) if settings.scopes else kind.scopes,
            callback_url=str(settings.callback_url) if settings.callback_url else None,
        )
    return providers
