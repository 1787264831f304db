"""Variants of the demo's account linking (AUTH-LINK-01/02, AUTH-USER-01) and of provider
calls with a refreshed token (AUTH-SEC-02): each patches the store's ``Accounts``, the auth
controller or the provider client as a target with that defect would behave."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from fastapi import Request
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from apiconform.reference.auth import accounts
from apiconform.reference.auth import controller as auth_controller
from apiconform.reference.auth.client import Tokens
from apiconform.reference.auth.models import AuthUser, OAuthAccount
from apiconform.reference.auth.profiles import Profile
from tests.selftest.variants.auth import auth_variant

Accounts = accounts.Accounts
LINKING = frozenset({"AUTH-LINK-01", "AUTH-LINK-02", "AUTH-USER-01"})
_link = Accounts.link
_tokens = Accounts.tokens


@auth_variant(
    {"AUTH-LINK-01": "AUTH-LINK-01.flow"},
    skips={"AUTH-LINK-02", "AUTH-USER-01"},
)
def link_start_answers_without_redirecting() -> None:
    """Starting to link answers 200 with the provider's URL in a body, not a redirect."""
    redirect = auth_controller.AuthController._redirect_to_provider

    def answer(self: Any, request: Request, provider: str, link_user_id: int | None) -> Any:
        response = redirect(self, request, provider, link_user_id)
        if link_user_id is None:
            return response
        return JSONResponse({"authorize": response.headers["location"]})

    auth_controller.AuthController._redirect_to_provider = answer  # type: ignore[method-assign]


@auth_variant(
    {
        "AUTH-LINK-01": "AUTH-LINK-01.associated",
        "AUTH-USER-01": "AUTH-USER-01.single-identity",
        # nothing is checked, so another user's email is not refused either
        "AUTH-LINK-02": "AUTH-LINK-02.refused",
    }
)
def linking_stores_nothing() -> None:
    """The linking callback answers success but links nothing."""

    async def link(self: Accounts, user_id: int, profile: Profile, tokens: Tokens) -> None:
        return None

    Accounts.link = link  # type: ignore[method-assign]


@auth_variant(
    {"AUTH-LINK-01": "AUTH-LINK-01.either-way", "AUTH-USER-01": "AUTH-USER-01.stored-password"}
)
def linking_drops_the_password() -> None:
    """Linking a provider replaces the user's password: only the provider signs in."""

    async def link(self: Accounts, user_id: int, profile: Profile, tokens: Tokens) -> None:
        await _link(self, user_id, profile, tokens)
        async with self.database.session() as session, session.begin():
            user = await session.get(AuthUser, user_id)
            if user is not None:
                user.password_hash = None

    Accounts.link = link  # type: ignore[method-assign]


@auth_variant(
    {"AUTH-LINK-01": "AUTH-LINK-01.either-way", "AUTH-USER-01": "AUTH-USER-01.any-method"}
)
def password_refused_once_a_provider_is_linked() -> None:
    """A user with a linked provider can no longer sign in with the password."""
    password_login = Accounts.password_login

    async def login(self: Accounts, email: str, password: str) -> int | None:
        user_id = await password_login(self, email, password)
        if user_id is None:
            return None
        async with self.database.session() as session:
            linked = await session.scalar(
                select(OAuthAccount.id).where(OAuthAccount.user_id == user_id)
            )
        return None if linked is not None else user_id

    Accounts.password_login = login  # type: ignore[method-assign]


@auth_variant({"AUTH-LINK-02": "AUTH-LINK-02.refused"})
def linking_ignores_whose_email_it_is() -> None:
    """Linking never looks at the provider account's email."""

    async def link(self: Accounts, user_id: int, profile: Profile, tokens: Tokens) -> None:
        await _link(self, user_id, dataclasses.replace(profile, email=None), tokens)

    Accounts.link = link  # type: ignore[method-assign]


@auth_variant({"AUTH-LINK-02": "AUTH-LINK-02.problem"})
def link_conflict_is_plain_json() -> None:
    """A refused link is a 409 with a plain JSON error, not a problem."""
    callback = auth_controller.AuthController.callback

    @functools.wraps(callback)  # FastAPI reads the parameters through __wrapped__
    async def plain(*args: Any, **kwargs: Any) -> Response:
        try:
            return await callback(*args, **kwargs)
        except auth_controller.AccountConflictError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)

    auth_controller.AuthController.callback = plain  # type: ignore[method-assign]


@auth_variant({"AUTH-LINK-02": "AUTH-LINK-02.unchanged"})
def refused_link_is_stored_anyway() -> None:
    """A link refused for another user's email is answered 409 but stored all the same."""

    async def link(self: Accounts, user_id: int, profile: Profile, tokens: Tokens) -> None:
        try:
            await _link(self, user_id, profile, tokens)
        except accounts.AccountConflict:
            await _link(self, user_id, dataclasses.replace(profile, email=None), tokens)
            raise

    Accounts.link = link  # type: ignore[method-assign]


@auth_variant(
    {"AUTH-LINK-01": "AUTH-LINK-01.completed", "AUTH-LINK-02": "AUTH-LINK-02.own-email"},
    skips={"AUTH-USER-01"},  # no user ever has both methods
)
def linking_always_conflicts() -> None:
    """Every link is refused as a conflict."""

    async def link(self: Accounts, user_id: int, profile: Profile, tokens: Tokens) -> None:
        raise accounts.AccountConflict("this account cannot be linked")

    Accounts.link = link  # type: ignore[method-assign]


@auth_variant({"AUTH-LINK-02": "AUTH-LINK-02.own-email"})
def linking_refuses_any_used_email() -> None:
    """Linking is refused whenever the provider's email belongs to a user, even the one
    linking."""

    async def link(self: Accounts, user_id: int, profile: Profile, tokens: Tokens) -> None:
        email = accounts._email(profile.email)
        if email:
            async with self.database.session() as session:
                if await self._user_by_email(session, email) is not None:
                    raise accounts.AccountConflict("this email is already in use")
        await _link(self, user_id, profile, tokens)

    Accounts.link = link  # type: ignore[method-assign]


# -- refreshing provider tokens (AUTH-SEC-02) ------------------------------------------------


@auth_variant({"AUTH-SEC-02": "AUTH-SEC-02.refreshed"})
def expired_provider_token_used_as_is() -> None:
    """Provider calls send the stored access token even after it has expired."""

    async def tokens(self: Accounts, user_id: int, provider: str) -> Any:
        found = await _tokens(self, user_id, provider)
        return None if found is None else dataclasses.replace(found, expires_at=None)

    Accounts.tokens = tokens  # type: ignore[method-assign]


@auth_variant({"AUTH-SEC-02": "AUTH-SEC-02.once"})
def refreshed_provider_token_not_kept() -> None:
    """A refreshed access token is used once and forgotten: every call refreshes again."""

    async def save_tokens(self: Accounts, user_id: int, provider: str, tokens: Tokens) -> None:
        return None

    Accounts.save_tokens = save_tokens  # type: ignore[method-assign]


@auth_variant({"AUTH-SEC-02": "AUTH-SEC-02.succeeds"})
def call_after_refresh_uses_the_old_token() -> None:
    """The token is refreshed and stored, but the call that refreshed it still sends the
    expired one."""
    from apiconform.reference.auth.client import ProviderClient

    profile = ProviderClient.profile
    refresh = ProviderClient.refresh
    expired: dict[int, str] = {}

    async def remembering(self: ProviderClient, refresh_token: str) -> Tokens:
        renewed = await refresh(self, refresh_token)
        expired[id(self)] = "refreshed"
        return renewed

    async def stale(self: ProviderClient, access_token: str) -> Any:
        if expired.pop(id(self), None):
            return await profile(self, "an-expired-token")
        return await profile(self, access_token)

    ProviderClient.refresh = remembering  # type: ignore[method-assign]
    ProviderClient.profile = stale  # type: ignore[method-assign]


@auth_variant({"AUTH-SEC-02": "AUTH-SEC-02.session"})
def session_ends_when_the_provider_token_is_refreshed() -> None:
    """Refreshing a provider token signs the user out of the target."""
    from apiconform.reference.auth import sessions

    save = Accounts.save_tokens
    verify = sessions.SessionTokens.verify
    signed_out: set[int] = set()

    async def save_tokens(self: Accounts, user_id: int, provider: str, tokens: Tokens) -> None:
        await save(self, user_id, provider, tokens)
        signed_out.add(user_id)

    def checked(self: Any, token: str) -> int:
        user_id = verify(self, token)
        if user_id in signed_out:
            raise sessions.InvalidSession("signed out")
        return user_id

    Accounts.save_tokens = save_tokens  # type: ignore[method-assign]
    sessions.SessionTokens.verify = checked  # type: ignore[method-assign]
