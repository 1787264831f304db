"""Users and their linked provider accounts: sign-in by provider identity, linking,
unlinking and local (password) accounts. Parameterised queries only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apiconform.reference.auth.client import Tokens
from apiconform.reference.auth.crypto import TokenCipher
from apiconform.reference.auth.models import AuthUser, OAuthAccount, now
from apiconform.reference.auth.profiles import Profile
from apiconform.reference.store.database import Database


class AccountConflict(Exception):
    """The operation would merge or steal an identity; ``reason`` is for the user."""


class NoSuchLink(Exception):
    pass


@dataclass(frozen=True)
class StoredTokens:
    access_token: str | None
    refresh_token: str | None
    expires_at: float | None


def _email(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _expiry(tokens: Tokens) -> datetime | None:
    return None if tokens.expires_at is None else datetime.fromtimestamp(tokens.expires_at, UTC)


class Accounts:
    def __init__(self, database: Database, cipher: TokenCipher) -> None:
        self.database = database
        self.cipher = cipher
        self.hasher = PasswordHasher()
        self._dummy = self.hasher.hash("not a password of anyone")

    # provider sign-in and linking ---------------------------------------------------------

    async def sign_in(self, profile: Profile, tokens: Tokens) -> int:
        """The user of this provider identity (found by provider and provider id, never by
        email), created on first sign-in; an email that belongs to another account is
        refused, never merged.

        Two first sign-ins of one identity at once (a double click, two tabs) race: the
        one that loses sees the other's new user as "an account with this email" or
        breaks a unique constraint. It looks again once, and finds the identity."""
        try:
            return await self._sign_in(profile, tokens)
        except (AccountConflict, IntegrityError):
            return await self._sign_in(profile, tokens)

    async def _sign_in(self, profile: Profile, tokens: Tokens) -> int:
        async with self.database.session() as session, session.begin():
            account = await self._account(session, profile.provider, profile.provider_id)
            if account is not None:
                user = await session.get(AuthUser, account.user_id)
                assert user is not None  # the foreign key guarantees it
                await self._sync(session, user, profile)
                self._store(account, profile, tokens)
                user.last_login_at = now()
                return user.id
            email = _email(profile.email)
            if email and await self._user_by_email(session, email) is not None:
                raise AccountConflict(
                    "an account with this email exists: sign in to it and link "
                    f"{profile.provider} from there"
                )
            user = AuthUser(
                email=email,
                name=profile.name,
                avatar_url=profile.avatar_url,
                email_verified=bool(email) and profile.email_verified,
                last_login_at=now(),
            )
            session.add(user)
            await session.flush()
            account = OAuthAccount(
                user_id=user.id, provider=profile.provider, provider_id=profile.provider_id
            )
            self._store(account, profile, tokens)
            session.add(account)
            return user.id

    async def link(self, user_id: int, profile: Profile, tokens: Tokens) -> None:
        async with self.database.session() as session, session.begin():
            user = await session.get(AuthUser, user_id)
            if user is None:
                raise AccountConflict("the signed-in user no longer exists")
            account = await self._account(session, profile.provider, profile.provider_id)
            if account is not None and account.user_id != user_id:
                raise AccountConflict(f"this {profile.provider} account belongs to another user")
            email = _email(profile.email)
            if email:
                owner = await self._user_by_email(session, email)
                if owner is not None and owner.id != user_id:
                    raise AccountConflict(
                        f"the {profile.provider} account's email belongs to another user"
                    )
            if account is None:
                account = OAuthAccount(
                    user_id=user_id, provider=profile.provider, provider_id=profile.provider_id
                )
                session.add(account)
            self._store(account, profile, tokens)

    async def unlink(self, user_id: int, provider: str) -> None:
        async with self.database.session() as session, session.begin():
            user = await session.get(AuthUser, user_id)
            accounts = list(
                await session.scalars(select(OAuthAccount).where(OAuthAccount.user_id == user_id))
            )
            found = [a for a in accounts if a.provider == provider]
            if user is None or not found:
                raise NoSuchLink(provider)
            methods = len(accounts) + (1 if user.password_hash else 0)
            if methods - len(found) < 1:
                raise AccountConflict("this is the last way to sign in: add another one first")
            for account in found:
                await session.delete(account)

    async def tokens(self, user_id: int, provider: str) -> StoredTokens | None:
        async with self.database.session() as session:
            account = await session.scalar(
                select(OAuthAccount).where(
                    OAuthAccount.user_id == user_id, OAuthAccount.provider == provider
                )
            )
            if account is None:
                return None
            expires = account.expires_at
            if expires is not None and expires.tzinfo is None:  # SQLite drops the zone
                expires = expires.replace(tzinfo=UTC)
            return StoredTokens(
                self.cipher.decrypt(account.access_token),
                self.cipher.decrypt(account.refresh_token),
                None if expires is None else expires.timestamp(),
            )

    async def save_tokens(self, user_id: int, provider: str, tokens: Tokens) -> None:
        async with self.database.session() as session, session.begin():
            account = await session.scalar(
                select(OAuthAccount).where(
                    OAuthAccount.user_id == user_id, OAuthAccount.provider == provider
                )
            )
            if account is not None:
                account.access_token = self.cipher.encrypt(tokens.access_token)
                account.refresh_token = self.cipher.encrypt(tokens.refresh_token)
                account.expires_at = _expiry(tokens)

    async def sync_profile(self, user_id: int, profile: Profile) -> None:
        async with self.database.session() as session, session.begin():
            user = await session.get(AuthUser, user_id)
            if user is not None:
                await self._sync(session, user, profile)

    # local accounts ------------------------------------------------------------------------

    async def register(self, email: str, password: str, name: str | None) -> int:
        address = _email(email)
        async with self.database.session() as session, session.begin():
            if await self._user_by_email(session, address or "") is not None:
                raise AccountConflict("an account with this email exists")
            user = AuthUser(email=address, name=name, password_hash=self.hasher.hash(password))
            session.add(user)
            await session.flush()
            return user.id

    async def password_login(self, email: str, password: str) -> int | None:
        async with self.database.session() as session, session.begin():
            user = await self._user_by_email(session, _email(email) or "")
            stored = user.password_hash if user is not None else None
            try:
                # a missing user costs one hash too: the answer time tells nothing
                self.hasher.verify(stored or self._dummy, password)
            except (VerificationError, InvalidHashError):
                return None
            if user is None or stored is None:
                return None
            user.last_login_at = now()
            return user.id

    async def describe(self, user_id: int) -> dict[str, Any] | None:
        async with self.database.session() as session:
            user = await session.get(AuthUser, user_id)
            if user is None:
                return None
            accounts = await session.scalars(
                select(OAuthAccount)
                .where(OAuthAccount.user_id == user_id)
                .order_by(OAuthAccount.id)
            )
            return {
                "id": user.id,
                "email": user.email,
                "email_verified": user.email_verified,
                "name": user.name,
                "avatar_url": user.avatar_url,
                "has_password": user.password_hash is not None,
                "created_at": user.created_at.isoformat() if user.created_at else None,
                "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
                "accounts": [
                    {"provider": a.provider, "provider_id": a.provider_id} for a in accounts
                ],
            }

    async def count_users(self) -> int:
        async with self.database.session() as session:
            return int(await session.scalar(select(func.count()).select_from(AuthUser)) or 0)

    # helpers -------------------------------------------------------------------------------

    async def _account(
        self, session: AsyncSession, provider: str, provider_id: str
    ) -> OAuthAccount | None:
        return await session.scalar(
            select(OAuthAccount).where(
                OAuthAccount.provider == provider, OAuthAccount.provider_id == provider_id
            )
        )

    async def _user_by_email(self, session: AsyncSession, email: str) -> AuthUser | None:
        return await session.scalar(select(AuthUser).where(AuthUser.email == email))

    async def _sync(self, session: AsyncSession, user: AuthUser, profile: Profile) -> None:
        """Copy changed profile fields; a new email only for a user without a password
        (a password user signs in with the email they chose: a linked provider's address
        must not change it) and only if no other user has it."""
        if profile.name and profile.name != user.name:
            user.name = profile.name
        if profile.avatar_url and profile.avatar_url != user.avatar_url:
            user.avatar_url = profile.avatar_url
        email = _email(profile.email)
        if (
            email
            and email != user.email
            and user.password_hash is None
            and await self._user_by_email(session, email) is None
        ):
            user.email, user.email_verified = email, profile.email_verified

    def _store(self, account: OAuthAccount, profile: Profile, tokens: Tokens) -> None:
        account.access_token = self.cipher.encrypt(tokens.access_token)
        account.refresh_token = self.cipher.encrypt(tokens.refresh_token)
        account.expires_at = _expiry(tokens)
        account.provider_data = profile.raw
