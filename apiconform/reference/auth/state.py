"""Pending logins: the ``state`` of each authorization request, kept server-side.

A state is 256 random bits, bound to the browser that started the login (the hash of a
random cookie value), used once and forgotten after ``ttl`` seconds. ``take`` removes the
entry whatever the outcome, so a state can never be tried twice.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Clock = Callable[[], float]
Refusal = Literal["missing", "unknown", "expired", "browser_mismatch", "provider_mismatch"]


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class PendingLogin:
    state: str
    provider: str
    browser: str  # sha256 of the browser cookie's value
    code_verifier: str
    nonce: str | None
    redirect_uri: str
    created_at: float
    link_user_id: int | None = None
    scopes: tuple[str, ...] | None = None  # the route's own, else the provider's


class StateRefused(Exception):
    """A callback's state is not one this server is waiting for (``reason`` says why)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason)
        self.reason: Refusal = reason


class StateStore:
    """In-process store of pending logins (one per application)."""

    def __init__(self, *, ttl: float, clock: Clock = time.time, limit: int = 100_000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.limit = limit
        self._pending: dict[str, PendingLogin] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        provider: str,
        browser_secret: str,
        redirect_uri: str,
        *,
        oidc: bool,
        link_user_id: int | None = None,
        scopes: tuple[str, ...] | None = None,
    ) -> PendingLogin:
        pending = PendingLogin(
            state=secrets.token_urlsafe(32),
            provider=provider,
            browser=digest(browser_secret),
            code_verifier=secrets.token_urlsafe(48),
            nonce=secrets.token_urlsafe(24) if oidc else None,
            redirect_uri=redirect_uri,
            created_at=self.clock(),
            link_user_id=link_user_id,
            scopes=scopes,
        )
        with self._lock:
            self._sweep()
            if len(self._pending) >= self.limit:  # bounded: drop the oldest
                del self._pending[next(iter(self._pending))]
            self._pending[pending.state] = pending
        return pending

    def take(self, state: str | None, provider: str, browser_secret: str | None) -> PendingLogin:
        """The pending login of ``state``, removed; :class:`StateRefused` if there is none,
        it expired, or it belongs to another browser or provider."""
        if not state:
            raise StateRefused("missing")
        with self._lock:
            pending = self._pending.pop(state, None)
        if pending is None:
            raise StateRefused("unknown")
        if self.clock() - pending.created_at > self.ttl:
            raise StateRefused("expired")
        if browser_secret is None or not secrets.compare_digest(
            pending.browser, digest(browser_secret)
        ):
            raise StateRefused("browser_mismatch")
        if pending.provider != provider:
            raise StateRefused("provider_mismatch")
        return pending

    def __len__(self) -> int:
        return len(self._pending)

    def _sweep(self) -> None:
        now = self.clock()
        for key in [k for k, p in self._pending.items() if now - p.created_at > self.ttl]:
            del self._pending[key]
