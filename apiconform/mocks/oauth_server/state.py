"""What the mock remembers between requests: pending consents, codes and tokens.

All in memory and guarded by one lock (the server may run in a thread while a test reads
or changes state from another). Time comes from an injected :class:`Clock`, so tests cross
a code's or token's lifetime by advancing it instead of sleeping.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from apiconform.mocks.oauth_server.config import Lifetimes
from apiconform.mocks.oauth_server.errors import FlowError


class Clock:
    """Seconds since the epoch: real time plus an offset, or frozen at ``start``.

    :meth:`advance` moves it forward either way, which is how tests expire codes and tokens.
    """

    def __init__(self, start: float | None = None) -> None:
        self._frozen = start
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        base = self._frozen if self._frozen is not None else time.time()
        return base + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset += seconds


@dataclass(frozen=True)
class Authorization:
    """What a user approved; shared by the code and every token issued from it (its
    ``family``, revoked together when a code or refresh token is replayed)."""

    provider: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    nonce: str | None
    offline: bool  # Google access_type=offline / Microsoft offline_access
    auth_time: float
    family: str


@dataclass(frozen=True)
class PendingConsent:
    """A validated authorization request waiting for the consent page's answer."""

    id: str
    provider: str
    client_id: str
    redirect_uri: str
    redirect_given: bool
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    login_hint: str | None
    offline: bool
    expires_at: float


@dataclass
class CodeRecord:
    authorization: Authorization
    redirect_uri: str
    redirect_given: bool
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    used: bool = False


TokenKind = Literal["access", "refresh"]
TokenStatus = Literal["active", "rotated", "revoked"]


@dataclass
class TokenRecord:
    value: str = field(repr=False)
    kind: TokenKind
    authorization: Authorization
    expires_at: float | None
    status: TokenStatus = "active"

    def expires_in(self, now: float) -> int | None:
        return None if self.expires_at is None else max(0, round(self.expires_at - now))


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    return f"{prefix}{secrets.token_urlsafe(nbytes)}"


class TokenStore:
    """Codes, tokens and pending consents, with single use, expiry and rotation."""

    def __init__(self, clock: Clock, lifetimes: Lifetimes) -> None:
        self.clock = clock
        self.lifetimes = lifetimes
        self._lock = threading.Lock()
        self._pending: dict[str, PendingConsent] = {}
        self._codes: dict[str, CodeRecord] = {}
        self._tokens: dict[str, TokenRecord] = {}

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._codes.clear()
            self._tokens.clear()

    # consent ----------------------------------------------------------------------------

    def add_pending(self, pending: PendingConsent) -> None:
        with self._lock:
            self._pending[pending.id] = pending

    def take_pending(self, pending_id: str, provider: str) -> PendingConsent | None:
        """The pending request, removed (a consent answers once), or None if unknown,
        expired or another provider's."""
        with self._lock:
            pending = self._pending.get(pending_id)
            if pending is None or pending.provider != provider:
                return None
            del self._pending[pending_id]
        return pending if pending.expires_at > self.clock.now() else None

    # codes ------------------------------------------------------------------------------

    def issue_code(self, pending: PendingConsent, user_id: str) -> str:
        now = self.clock.now()
        authorization = Authorization(
            provider=pending.provider,
            client_id=pending.client_id,
            user_id=user_id,
            scopes=pending.scopes,
            nonce=pending.nonce,
            offline=pending.offline,
            auth_time=now,
            family=new_secret(nbytes=8),
        )
        code = new_secret(nbytes=24)
        with self._lock:
            self._codes[code] = CodeRecord(
                authorization=authorization,
                redirect_uri=pending.redirect_uri,
                redirect_given=pending.redirect_given,
                code_challenge=pending.code_challenge,
                code_challenge_method=pending.code_challenge_method,
                expires_at=now + self.lifetimes.code,
            )
        return code

    def find_code(self, code: str, provider: str, client_id: str) -> CodeRecord:
        """The code's record if it may still be redeemed by ``client_id``.

        A replayed code also revokes every token issued from it (RFC 6749 section 4.1.2).
        """
        with self._lock:
            record = self._codes.get(code)
            if record is None or record.authorization.provider != provider:
                raise FlowError("invalid_grant", "code_unknown", "The code is not known.")
            if record.used:
                self._revoke_family(record.authorization.family)
                raise FlowError("invalid_grant", "code_replayed", "The code was already used.")
        if record.authorization.client_id != client_id:
            raise FlowError(
                "invalid_grant", "client_mismatch", "The code was issued to another client."
            )
        if record.expires_at <= self.clock.now():
            raise FlowError("invalid_grant", "code_expired", "The code has expired.")
        return record

    def use_code(self, record: CodeRecord) -> None:
        with self._lock:
            if record.used:  # a concurrent redemption won the race
                self._revoke_family(record.authorization.family)
                raise FlowError("invalid_grant", "code_replayed", "The code was already used.")
            record.used = True

    # tokens -----------------------------------------------------------------------------

    def issue(
        self,
        kind: TokenKind,
        authorization: Authorization,
        *,
        prefix: str,
        lifetime: float | None,
    ) -> TokenRecord:
        expires_at = None if lifetime is None else self.clock.now() + lifetime
        record = TokenRecord(new_secret(prefix), kind, authorization, expires_at)
        with self._lock:
            self._tokens[record.value] = record
        return record

    def access_token(self, value: str, provider: str) -> TokenRecord:
        """A live access token of ``provider``, or :class:`FlowError` saying why not."""
        return self._live(value, "access", provider)

    def refresh(self, value: str, provider: str, client_id: str) -> TokenRecord:
        """The live refresh token ``value`` of ``client_id``. A rotated token presented
        again revokes its whole family (RFC 9700 section 4.14.2: reuse means it leaked)."""
        record = self._live(value, "refresh", provider)
        if record.authorization.client_id != client_id:
            raise FlowError(
                "invalid_grant", "client_mismatch", "The token was issued to another client."
            )
        return record

    def retire(self, record: TokenRecord) -> None:
        """Mark a refresh token as rotated: it no longer works, and reusing it is reuse."""
        with self._lock:
            record.status = "rotated"

    def _live(self, value: str, kind: TokenKind, provider: str) -> TokenRecord:
        with self._lock:
            record = self._tokens.get(value)
            if record is None or record.kind != kind or record.authorization.provider != provider:
                raise FlowError("invalid_grant", "token_unknown", "The token is not known.")
            if record.status == "rotated":
                self._revoke_family(record.authorization.family)
            if record.status != "active":
                raise FlowError("invalid_grant", "token_revoked", "The token was revoked.")
        if record.expires_at is not None and record.expires_at <= self.clock.now():
            raise FlowError("invalid_grant", "token_expired", "The token has expired.")
        return record

    def revoke_family(self, family: str) -> None:
        with self._lock:
            self._revoke_family(family)

    def _revoke_family(self, family: str) -> None:
        for record in self._tokens.values():
            if record.authorization.family == family:
                record.status = "revoked"

    def tokens(self) -> list[TokenRecord]:
        """Every token issued so far (for assertions)."""
        with self._lock:
            return list(self._tokens.values())
