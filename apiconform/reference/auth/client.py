"""Talking to a provider: the authorization URL, the code exchange, the id_token's keys,
the profile and token refresh, through authlib's httpx client.

Every failure becomes one of two exceptions: :class:`ProviderUnavailable` (the provider
did not answer usefully: refused connection, timeout, 5xx, malformed body) and
:class:`ProviderRefused` (it answered with an OAuth error: a bad code, a revoked token).
Neither carries a token, a code or a secret.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2 import OAuth2Error

from apiconform.reference.auth import profiles
from apiconform.reference.auth.idtoken import validate_id_token
from apiconform.reference.auth.providers import Provider
from apiconform.reference.auth.state import PendingLogin

FACEBOOK_FIELDS = "id,name,email,picture"


class ProviderUnavailable(Exception):
    def __init__(self, provider: str, step: str, reason: str) -> None:
        super().__init__(f"{provider} {step}: {reason}")
        self.provider, self.step, self.reason = provider, step, reason


class ProviderRefused(Exception):
    def __init__(self, provider: str, step: str, error: str) -> None:
        super().__init__(f"{provider} {step}: {error}")
        self.provider, self.step, self.error = provider, step, error


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: float | None
    id_token: str | None = None


def _tokens(raw: dict[str, Any], now: float) -> Tokens:
    access = raw.get("access_token")
    if not isinstance(access, str) or not access:
        raise ValueError("no access_token in the token response")
    expires_in = raw.get("expires_in")
    expires_at = now + float(expires_in) if isinstance(expires_in, int | float | str) else None
    refresh = raw.get("refresh_token")
    return Tokens(
        access, refresh if isinstance(refresh, str) else None, expires_at, raw.get("id_token")
    )


class ProviderClient:
    """One provider's protocol; ``transport`` (tests) replaces the network."""

    def __init__(
        self,
        provider: Provider,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Any = time.time,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self.transport = transport
        self.clock = clock

    def _client(
        self,
        redirect_uri: str | None = None,
        token: dict[str, Any] | None = None,
        scopes: tuple[str, ...] | None = None,
    ) -> Any:
        options: dict[str, Any] = {"timeout": self.timeout}
        if self.transport is not None:
            options["transport"] = self.transport
        return AsyncOAuth2Client(
            client_id=self.provider.client_id,
            client_secret=self.provider.client_secret,
            scope=" ".join(scopes or self.provider.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=self.provider.kind.token_auth,
            token=token,
            # the token was just issued: calls right after the exchange (JWKS, profile)
            # must not count it expired because it lasts less than authlib's default
            # 60 s of leeway (a provider may issue short-lived tokens)
            leeway=0,
            **options,
        )

    def authorization_url(self, pending: PendingLogin) -> str:
        client = self._client(pending.redirect_uri, scopes=pending.scopes)
        extra: dict[str, str] = dict(self.provider.kind.extra_params)
        if pending.nonce is not None:
            extra["nonce"] = pending.nonce
        url, _ = client.create_authorization_url(
            self.provider.endpoints.authorize,
            state=pending.state,
            code_verifier=pending.code_verifier,
            **extra,
        )
        return str(url)

    async def login(self, pending: PendingLogin, code: str) -> tuple[profiles.Profile, Tokens]:
        """Exchange ``code``, validate the id_token (OIDC) and read the profile."""
        name = self.provider.name
        async with self._client(pending.redirect_uri) as client:
            raw = await self._call(
                "token",
                client.fetch_token(
                    self.provider.endpoints.token,
                    code=code,
                    code_verifier=pending.code_verifier,
                    headers={"Accept": "application/json"},
                ),
            )
            try:
                tokens = _tokens(raw, self.clock())
            except ValueError as exc:
                raise ProviderUnavailable(name, "token", str(exc)) from None
            claims: dict[str, Any] = {}
            if self.provider.kind.oidc:
                jwks = await self._get(client, "jwks", self.provider.endpoints.jwks or "")
                claims = validate_id_token(
                    tokens.id_token,
                    jwks,
                    issuer=self.provider.endpoints.issuer or "",
                    audience=self.provider.client_id,
                    nonce=pending.nonce,
                )
            profile = await self._profile(client, claims)
        return profile, tokens

    async def refresh(self, refresh_token: str) -> Tokens:
        async with self._client() as client:
            raw = await self._call(
                "refresh",
                client.refresh_token(
                    self.provider.endpoints.token,
                    refresh_token=refresh_token,
                    headers={"Accept": "application/json"},
                ),
            )
        try:
            tokens = _tokens(raw, self.clock())
        except ValueError as exc:
            raise ProviderUnavailable(self.provider.name, "refresh", str(exc)) from None
        if tokens.refresh_token is None:  # kept, not rotated (Google)
            tokens = Tokens(tokens.access_token, refresh_token, tokens.expires_at)
        return tokens

    async def profile(self, access_token: str) -> profiles.Profile:
        """The current profile with a stored access token (no id_token: its claims are
        the provider's profile endpoint's)."""
        token = {"access_token": access_token, "token_type": "Bearer"}
        async with self._client(token=token) as client:
            claims: dict[str, Any] = {}
            if self.provider.name == "google":
                info = await self._get(client, "profile", self.provider.endpoints.profile)
                claims = {"sub": info.get("sub") if isinstance(info, dict) else None}
            return await self._profile(client, claims)

    async def _profile(self, client: Any, claims: dict[str, Any]) -> profiles.Profile:
        name, urls = self.provider.name, self.provider.endpoints
        try:
            if name == "github":
                user = await self._get(client, "profile", urls.profile)
                emails = await self._get(client, "emails", urls.emails) if urls.emails else []
                return profiles.github(user, emails)
            if name == "facebook":
                me = await self._get(client, "profile", urls.profile, {"fields": FACEBOOK_FIELDS})
                return profiles.facebook(me)
            info = await self._get(client, "profile", urls.profile)
            if name == "google":
                return profiles.google(claims, info)
            return profiles.microsoft(claims, info)
        except profiles.MalformedProfile as exc:
            raise ProviderUnavailable(name, "profile", str(exc)) from None

    async def _get(
        self, client: Any, step: str, url: str, params: dict[str, str] | None = None
    ) -> Any:
        async def fetch() -> Any:
            response = await client.get(url, params=params)
            if response.status_code >= 500:
                response.raise_for_status()
            if response.status_code >= 400:
                raise ProviderRefused(self.provider.name, step, f"HTTP {response.status_code}")
            return response.json()

        return await self._call(step, fetch())

    async def _call(self, step: str, pending: Any) -> Any:
        name = self.provider.name
        try:
            return await pending
        except (OAuth2Error, OAuthError) as exc:
            raise ProviderRefused(name, step, str(exc.error or "oauth_error")) from None
        except httpx.TimeoutException:
            raise ProviderUnavailable(name, step, "timeout") from None
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            if status < 500:
                raise ProviderRefused(name, step, f"HTTP {status}") from None
            raise ProviderUnavailable(name, step, f"HTTP {status}") from None
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(name, step, type(exc).__name__) from None
        except (json.JSONDecodeError, ValueError) as exc:
            raise ProviderUnavailable(
                name, step, f"malformed answer: {type(exc).__name__}"
            ) from None
