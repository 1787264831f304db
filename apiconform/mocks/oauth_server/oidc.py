"""OpenID Connect pieces Google and Microsoft share: discovery documents and id_tokens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from apiconform.mocks.oauth_server.keys import token_hash
from apiconform.mocks.oauth_server.provider import Provider, origin
from apiconform.mocks.oauth_server.state import Authorization, TokenRecord

# An id_token lives an hour at both providers, whatever the access token's lifetime.
ID_TOKEN_LIFETIME = 3600


def discovery_document(provider: Provider, request: Request, **extra: Any) -> dict[str, Any]:
    """The fields every OIDC discovery document of the mock has, plus ``extra``."""
    base, real = origin(request)
    methods = ["S256", "plain"] if provider.ctx.config.pkce_plain else ["S256"]
    return {
        "issuer": provider.issuer(base, real=real),
        "authorization_endpoint": provider.url(request, "authorize"),
        "token_endpoint": provider.url(request, "token"),
        "userinfo_endpoint": provider.url(request, "userinfo"),
        "jwks_uri": provider.url(request, "jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": list(provider.client_auth_methods),
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": methods,
        **extra,
    }


def id_token(
    provider: Provider,
    request: Request,
    authorization: Authorization,
    access: TokenRecord,
    *,
    nonce: bool,
    claims: dict[str, Any],
) -> str:
    """A signed id_token: the standard claims, ``nonce`` when the authorization had one and
    ``nonce`` is wanted (not on refresh), then the provider's ``claims``."""
    base, real = origin(request)
    now = int(provider.ctx.clock.now())
    standard: dict[str, Any] = {
        "iss": provider.issuer(base, real=real),
        "aud": authorization.client_id,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "at_hash": token_hash(access.value),
    }
    if nonce and authorization.nonce is not None:
        standard["nonce"] = authorization.nonce
    return provider.sign({**standard, **claims})
