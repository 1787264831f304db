"""Google: OIDC discovery, authorize, token, userinfo, JWKS and RS256 id_tokens.

Paths mirror Google's own under ``/google`` (``accounts.google.com``,
``oauth2.googleapis.com``, ``openidconnect.googleapis.com`` and ``www.googleapis.com`` all
map there). As at Google, a refresh token comes only with ``access_type=offline``, and
userinfo and id_token claims follow the granted scopes (``email``, ``profile``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from apiconform.mocks.oauth_server import oidc
from apiconform.mocks.oauth_server.config import MockUser
from apiconform.mocks.oauth_server.errors import FlowError
from apiconform.mocks.oauth_server.flow import Issued
from apiconform.mocks.oauth_server.provider import Endpoint, Provider, origin
from apiconform.mocks.oauth_server.state import Authorization, PendingConsent, TokenRecord

EMAIL_SCOPES = frozenset({"email", "https://www.googleapis.com/auth/userinfo.email"})
PROFILE_SCOPES = frozenset({"profile", "https://www.googleapis.com/auth/userinfo.profile"})


def google_claims(user: MockUser, scopes: tuple[str, ...]) -> dict[str, Any]:
    """The user claims Google releases for ``scopes`` (userinfo and id_token alike)."""
    claims: dict[str, Any] = {"sub": user.id}
    if PROFILE_SCOPES & set(scopes):
        claims["name"] = user.name
        claims["given_name"] = user.given_name
        if user.family_name:
            claims["family_name"] = user.family_name
        if user.picture:
            claims["picture"] = user.picture
    if EMAIL_SCOPES & set(scopes) and user.email:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    return claims


class Google(Provider):
    name = "google"
    title = "Google"
    endpoints = (
        Endpoint("discovery", "accounts", "/.well-known/openid-configuration"),
        Endpoint("authorize", "accounts", "/o/oauth2/v2/auth"),
        Endpoint("consent", "accounts", "/_consent", ("POST",)),
        Endpoint("token", "oauth2", "/token", ("POST",)),
        Endpoint("userinfo", "openidconnect", "/v1/userinfo", ("GET", "POST")),
        Endpoint("userinfo", "www", "/oauth2/v3/userinfo", ("GET", "POST")),
        Endpoint("jwks", "www", "/oauth2/v3/certs"),
    )
    access_prefix = "ya29.mock-"
    refresh_prefix = "1//mock-"
    oidc = True

    def issuer(self, base: str, *, real: bool = False) -> str:
        return self.host_url(base, "accounts", real=real)

    def offline(self, params_scope: tuple[str, ...], access_type: str | None) -> bool:
        return access_type == "offline"

    async def discovery(self, request: Request) -> Response:
        document = oidc.discovery_document(
            self,
            request,
            scopes_supported=["openid", "email", "profile"],
            claims_supported=[
                "aud", "email", "email_verified", "exp", "family_name", "given_name", "iat",
                "iss", "name", "nonce", "picture", "sub",
            ],
        )  # fmt: skip
        return JSONResponse(document)

    async def userinfo(self, request: Request) -> Response:
        try:
            record = self.bearer(request)
        except FlowError as error:
            return self.api_error(request, error)
        user = self.profile(record.authorization)
        return JSONResponse(google_claims(user, record.authorization.scopes))

    def approve_params(self, pending: PendingConsent, code: str) -> dict[str, str]:
        return {
            "code": code,
            "scope": " ".join(pending.scopes),
            "authuser": "0",
            "prompt": "consent",
        }

    def id_token(
        self, request: Request, authorization: Authorization, access: TokenRecord, *, nonce: bool
    ) -> str:
        user = self.profile(authorization)
        claims = {"azp": authorization.client_id, **google_claims(user, authorization.scopes)}
        return oidc.id_token(self, request, authorization, access, nonce=nonce, claims=claims)

    def token_response(self, request: Request, issued: Issued) -> Response:
        body: dict[str, Any] = {
            "access_token": issued.access.value,
            "expires_in": issued.access.expires_in(self.ctx.clock.now()),
            "scope": " ".join(issued.scopes),
            "token_type": "Bearer",
        }
        if issued.refresh is not None:
            body["refresh_token"] = issued.refresh.value
        if issued.id_token is not None:
            body["id_token"] = issued.id_token
        return JSONResponse(body, headers={"cache-control": "no-store"})

    def token_error(self, request: Request, error: FlowError) -> Response:
        code = "redirect_uri_mismatch" if error.reason == "redirect_mismatch" else error.kind
        status = 401 if error.kind == "invalid_client" else 400
        return JSONResponse(
            {"error": code, "error_description": error.description}, status_code=status
        )

    def api_error(self, request: Request, error: FlowError) -> Response:
        base, real = origin(request)
        realm = self.host_url(base, "accounts", "/", real=real)
        return JSONResponse(
            {"error": "invalid_request", "error_description": "Invalid Credentials"},
            status_code=401,
            headers={"www-authenticate": f'Bearer realm="{realm}", error="invalid_token"'},
        )
