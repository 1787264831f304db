"""Session tokens: HMAC-signed JWTs (PyJWT) with ``sub``, ``iat``, ``exp``, ``iss``, ``aud``.

Verification names the one algorithm configured, so ``alg: none`` and algorithm
confusion are refused by construction.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from apiconform.reference.auth.config import AuthConfig
from apiconform.reference.auth.state import Clock


class InvalidSession(Exception):
    """The token is missing, malformed, forged, expired or for another audience."""


class SessionTokens:
    def __init__(self, config: AuthConfig, *, clock: Clock = time.time) -> None:
        self.secret = config.session_secret or secrets.token_urlsafe(48)
        self.algorithm = config.session_algorithm
        self.ttl = config.session_ttl
        self.issuer = config.issuer
        self.audience = config.audience
        self.clock = clock

    def issue(self, user_id: int) -> str:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + self.ttl,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self.secret, algorithm=self.algorithm)

    def verify(self, token: str) -> int:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require": ["sub", "iat", "exp", "iss", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            raise InvalidSession from None
        # expiry against the injected clock (PyJWT would read the wall clock)
        now = self.clock()
        if not isinstance(claims["exp"], int) or claims["exp"] <= now:
            raise InvalidSession
        if not isinstance(claims["iat"], int) or claims["iat"] > now + 60:
            raise InvalidSession
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject.isdigit() or len(subject) > 12:
            raise InvalidSession
        return int(subject)
