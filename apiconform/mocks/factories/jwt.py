"""Signed JWTs for tests: HS256 with a shared secret, RS256 with an RSA key and its JWKS."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt as pyjwt

from apiconform.mocks.oauth_server.keys import SigningKey

DEFAULT_SECRET = "apiconform-test-secret-0123456789abcdef"  # noqa: S105 - a test key
DEFAULT_LIFETIME = 3600


def claims_for(
    subject: str = "user-1",
    *,
    issuer: str | None = None,
    audience: str | None = None,
    lifetime: float | None = DEFAULT_LIFETIME,
    now: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Registered claims (``sub``, ``iat``, ``exp``, ``jti``, optional ``iss``/``aud``) plus
    ``extra``. ``lifetime=None`` leaves ``exp`` out; a negative one makes a token that
    has already expired."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"sub": subject, "iat": issued, "jti": uuid.uuid4().hex}
    if lifetime is not None:
        claims["exp"] = issued + int(lifetime)
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    claims.update(extra)
    return claims


def sign_hs256(
    claims: dict[str, Any], secret: str = DEFAULT_SECRET, *, headers: dict[str, Any] | None = None
) -> str:
    """``claims`` as an HS256 JWT."""
    return pyjwt.encode(claims, secret, algorithm="HS256", headers=headers)


def sign_rs256(
    claims: dict[str, Any], key: SigningKey, *, headers: dict[str, Any] | None = None
) -> str:
    """``claims`` as an RS256 JWT carrying ``key``'s ``kid``; verify with ``key.jwks()``."""
    return key.sign(claims, headers)
