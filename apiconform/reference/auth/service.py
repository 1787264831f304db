"""The sign-in flows: start (state, PKCE, nonce), callback (state first, then the code
exchange, the profile and the user), linking and the provider calls made for a user.

The state is checked before anything reaches the provider: a refused state means no token
request and no database write. Log lines name the provider, the step and the reason,
never a code, a token or a secret.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx

from apiconform.common.logs import get_logger
from apiconform.reference.auth.accounts import AccountConflict, Accounts
from apiconform.reference.auth.client import (
    ProviderClient,
    ProviderRefused,
    ProviderUnavailable,
    Tokens,
)
from apiconform.reference.auth.config import AuthConfig
from apiconform.reference.auth.crypto import TokenCipher
from apiconform.reference.auth.errors import (
    AccountConflictError,
    LoginFailed,
    ProviderDown,
    StateRejected,
)
from apiconform.reference.auth.idtoken import InvalidIdToken
from apiconform.reference.auth.models import AuthBase
from apiconform.reference.auth.profiles import Profile
from apiconform.reference.auth.providers import Provider, resolve_providers
from apiconform.reference.auth.sessions import SessionTokens
from apiconform.reference.auth.state import Clock, PendingLogin, StateRefused, StateStore
from apiconform.reference.errors.exceptions import NotFound
from apiconform.reference.store.database import Database

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


class AuthService:
    """One per application: its providers, pending logins, session tokens and accounts."""

    def __init__(
        self,
        app: Application,
        config: AuthConfig,
        *,
        clock: Clock = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.clock = clock
        self.providers = resolve_providers(config)
        self.clients = {
            name: ProviderClient(
                provider, timeout=config.provider_timeout, transport=transport, clock=clock
            )
            for name, provider in self.providers.items()
        }
        self.states = StateStore(ttl=config.state_ttl, clock=clock)
        self.sessions = SessionTokens(config, clock=clock)
        self.cipher = TokenCipher(config.token_key)
        self.log = get_logger("apiconform.auth", app_id=app.id)
        self._accounts: Accounts | None = None
        self._opening = asyncio.Lock()

    async def accounts(self) -> Accounts:
        """The accounts on the store's database, tables created on first use."""
        async with self._opening:
            if self._accounts is None:
                database = await self.app.container.aresolve(Database)
                async with database.engine.begin() as conn:
                    await conn.run_sync(AuthBase.metadata.create_all)
                self._accounts = Accounts(database, self.cipher)
        return self._accounts

    def provider(self, name: str) -> Provider:
        found = self.providers.get(name)  # type: ignore[call-overload]
        if found is None:
            raise NotFound(f"no sign-in provider {name[:40]!r} is enabled")
        assert isinstance(found, Provider)
        return found

    def alternatives(self, failed: str) -> list[dict[str, Any]]:
        """The other enabled sign-in methods (for a 503's ``alternatives``)."""
        found: list[dict[str, Any]] = []
        if self.config.local_accounts:
            found.append({"method": "password", "path": "/auth/login"})
        found.extend(
            {"method": "oauth", "provider": name, "path": f"/auth/{name}"}
            for name in self.providers
            if name != failed
        )
        return found

    def start(
        self,
        name: str,
        browser_secret: str,
        redirect_uri: str,
        link_user_id: int | None = None,
        *,
        scopes: tuple[str, ...] | None = None,
    ) -> str:
        """The provider's authorization URL for a new pending login."""
        provider = self.provider(name)
        pending = self.states.issue(
            name,
            browser_secret,
            provider.callback_url or redirect_uri,
            oidc=provider.kind.oidc,
            link_user_id=link_user_id,
            scopes=scopes,
        )
        return self.clients[provider.name].authorization_url(pending)

    def check_state(
        self, name: str, state: str | None, browser_secret: str | None, client_ip: str | None
    ) -> PendingLogin:
        self.provider(name)
        try:
            return self.states.take(state, name, browser_secret)
        except StateRefused as exc:
            self.log.warning(
                "oauth.state_refused", provider=name, reason=exc.reason, client_ip=client_ip
            )
            raise StateRejected() from None

    async def complete(self, pending: PendingLogin, code: str) -> tuple[int, bool]:
        """Finish a checked login: (user id, True when it linked an account)."""
        profile, tokens = await self._provider_login(pending, code)
        accounts = await self.accounts()
        try:
            if pending.link_user_id is not None:
                await accounts.link(pending.link_user_id, profile, tokens)
                self.log.info(
                    "oauth.linked", provider=pending.provider, user_id=pending.link_user_id
                )
                return pending.link_user_id, True
            user_id = await accounts.sign_in(profile, tokens)
        except AccountConflict as exc:
            self.log.info("oauth.conflict", provider=pending.provider, reason=str(exc))
            raise AccountConflictError(str(exc)) from None
        self.log.info("oauth.signed_in", provider=pending.provider, user_id=user_id)
        return user_id, False

    @contextmanager
    def _provider_errors(self, name: str) -> Iterator[None]:
        """Provider failures as HTTP errors, logged with the provider and the step."""
        try:
            yield
        except ProviderUnavailable as exc:
            self.log.error(
                "oauth.provider_unavailable", provider=name, step=exc.step, reason=exc.reason
            )
            raise ProviderDown(name, self.alternatives(name)) from None
        except ProviderRefused as exc:
            self.log.warning(
                "oauth.provider_refused", provider=name, step=exc.step, error=exc.error
            )
            raise LoginFailed(name) from None
        except InvalidIdToken as exc:
            self.log.warning("oauth.id_token_invalid", provider=name, reason=str(exc))
            raise LoginFailed(name) from None

    async def _provider_login(self, pending: PendingLogin, code: str) -> tuple[Profile, Tokens]:
        with self._provider_errors(pending.provider):
            return await self.clients[pending.provider].login(pending, code)  # type: ignore[index]
        raise AssertionError("unreachable")  # pragma: no cover

    async def provider_profile(self, user_id: int, name: str) -> Profile:
        """Call the provider for ``user_id`` with the stored token, refreshing it once first
        when it has expired (rotated tokens are stored), and sync the profile."""
        provider = self.provider(name)
        accounts = await self.accounts()
        stored = await accounts.tokens(user_id, name)
        if stored is None or stored.access_token is None:
            raise NotFound(f"no {name} account is linked to this user")
        client = self.clients[provider.name]
        access = stored.access_token
        with self._provider_errors(name):
            if stored.expires_at is not None and stored.expires_at <= self.clock():
                if stored.refresh_token is None:
                    raise ProviderRefused(name, "refresh", "no refresh token")
                renewed = await client.refresh(stored.refresh_token)
                await accounts.save_tokens(user_id, name, renewed)
                self.log.info("oauth.token_refreshed", provider=name, user_id=user_id)
                access = renewed.access_token
            profile = await client.profile(access)
        await accounts.sync_profile(user_id, profile)
        return profile
