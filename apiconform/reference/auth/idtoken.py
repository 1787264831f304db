"""OpenID Connect ``id_token`` validation: signature (the provider's JWKS), ``iss``,
``aud``, ``exp``/``iat`` and the ``nonce`` of the login."""

from __future__ import annotations

from typing import Any

import jwt

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "PS256"]


class InvalidIdToken(ValueError):
    """The id_token failed validation; the message says which check."""


def validate_id_token(
    token: Any,
    jwks: Any,
    *,
    issuer: str,
    audience: str,
    nonce: str | None,
    leeway: float = 60,
) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise InvalidIdToken("no id_token in the token response")
    try:
        header = jwt.get_unverified_header(token)
        keys = jwt.PyJWKSet.from_dict(jwks if isinstance(jwks, dict) else {})
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidIdToken(f"unreadable id_token or JWKS: {type(exc).__name__}") from None
    if header.get("alg") not in ALGORITHMS:
        raise InvalidIdToken("id_token algorithm not accepted")
    key = next((k for k in keys.keys if k.key_id == header.get("kid")), None)
    if key is None:
        raise InvalidIdToken("id_token signed by a key the provider does not publish")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[header["alg"]],
            audience=audience,
            options={"require": ["iss", "aud", "exp", "iat", "sub"], "verify_iss": False},
            leeway=leeway,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidIdToken("id_token expired") from None
    except jwt.InvalidAudienceError:
        raise InvalidIdToken("id_token audience is not this client") from None
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(f"id_token invalid: {type(exc).__name__}") from None
    expected = issuer.replace("{tenantid}", str(claims.get("tid", "")))
    if claims.get("iss") != expected:
        raise InvalidIdToken("id_token issuer is not the provider")
    if nonce is not None and claims.get("nonce") != nonce:
        raise InvalidIdToken("id_token nonce does not match the login")
    return claims
