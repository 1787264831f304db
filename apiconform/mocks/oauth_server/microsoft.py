"""Microsoft identity platform v2: discovery, authorize, token, JWKS, id_token, Graph ``/me``.

``login.microsoftonline.com/{tenant}`` maps to ``/microsoft`` (the tenant segment is
dropped) and ``graph.microsoft.com`` to ``/microsoft/graph``. As at Microsoft, a refresh
token comes only with the ``offline_access`` scope, ``sub`` is pairwise (it differs per
client) while ``oid`` identifies the user, and errors carry AADSTS codes.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from apiconform.mocks.oauth_server import oidc
from apiconform.mocks.oauth_server.config import MockUser
from apiconform.mocks.oauth_server.errors import FlowError, Reason
from apiconform.mocks.oauth_server.flow import Issued
from apiconform.mocks.oauth_server.provider import Endpoint, Provider
from apiconform.mocks.oauth_server.state import Authorization, TokenRecord

# AADSTS codes by reason, modelled on the ones Microsoft returns for the same causes.
AADSTS: dict[Reason, int] = {
    "param_missing": 900144,
    "client_missing": 900144,
    "param_invalid": 90014,
    "param_repeated": 90015,
    "client_unknown": 700016,
    "client_secret_wrong": 7000215,
    "client_secret_missing": 7000218,
    "client_mismatch": 70000,
    "redirect_mismatch": 50011,
    "grant_unsupported": 70003,
    "code_unknown": 70000,
    "code_expired": 70008,
    "code_replayed": 54005,
    "pkce_missing": 501481,
    "pkce_mismatch": 501481,
    "token_unknown": 9002313,
    "token_expired": 700082,
    "token_revoked": 70000,
    "scope_widened": 70011,
    "fault": 70000,
}


def pairwise_sub(user_id: str, client_id: str) -> str:
    """Microsoft's ``sub``: stable for one user and one application, different across apps."""
    digest = hashlib.sha256(f"{client_id}:{user_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()[:43]


def graph_me(user: MockUser) -> dict[str, Any]:
    """The Graph ``/me`` resource of ``user``."""
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "id": user.id,
        "displayName": user.name,
        "givenName": user.given_name,
        "surname": user.family_name,
        "mail": user.email,
        "userPrincipalName": user.username or user.email or f"{user.id}@example.onmicrosoft.com",
        "businessPhones": [],
        "jobTitle": None,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
    }


class Microsoft(Provider):
    name = "microsoft"
    title = "Microsoft"
    endpoints = (
        Endpoint("discovery", "login", "/v2.0/.well-known/openid-configuration"),
        Endpoint("authorize", "login", "/oauth2/v2.0/authorize"),
        Endpoint("consent", "login", "/oauth2/v2.0/_consent", ("POST",)),
        Endpoint("token", "login", "/oauth2/v2.0/token", ("POST",)),
        Endpoint("jwks", "login", "/discovery/v2.0/keys"),
        Endpoint("me", "graph", "/v1.0/me"),
        Endpoint("me", "graph", "/v1.0/me/"),
        Endpoint("userinfo", "graph", "/oidc/userinfo", ("GET", "POST")),
    )
    access_prefix = "EwB.mock-"
    refresh_prefix = "M.C.mock-"
    oidc = True

    def issuer(self, base: str, *, real: bool = False) -> str:
        return self.host_url(base, "login", "/v2.0", real=real)

    def offline(self, params_scope: tuple[str, ...], access_type: str | None) -> bool:
        return "offline_access" in params_scope

    async def discovery(self, request: Request) -> Response:
        document = oidc.discovery_document(
            self,
            request,
            scopes_supported=["openid", "profile", "email", "offline_access"],
            claims_supported=[
                "sub", "iss", "aud", "exp", "iat", "nbf", "nonce", "name", "preferred_username",
                "email", "oid", "tid", "ver",
            ],
            tenant_region_scope=None,
            cloud_instance_name="microsoftonline.com",
            msgraph_host="graph.microsoft.com",
        )  # fmt: skip
        return JSONResponse(document)

    async def me(self, request: Request) -> Response:
        try:
            record = await self.bearer(request)
        except FlowError as error:
            return self.api_error(request, error)
        return JSONResponse(graph_me(self.profile(record.authorization)))

    async def userinfo(self, request: Request) -> Response:
        try:
            record = await self.bearer(request)
        except FlowError as error:
            return self.api_error(request, error)
        user = self.profile(record.authorization)
        claims: dict[str, Any] = {
            "sub": pairwise_sub(user.id, record.authorization.client_id),
            "name": user.name,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "picture": "https://graph.microsoft.com/v1.0/me/photo/$value",
        }
        if user.email:
            claims["email"] = user.email
        return JSONResponse(claims)

    def id_token(
        self, request: Request, authorization: Authorization, access: TokenRecord, *, nonce: bool
    ) -> str:
        user = self.profile(authorization)
        scopes = authorization.scopes
        claims: dict[str, Any] = {
            "ver": "2.0",
            "sub": pairwise_sub(user.id, authorization.client_id),
            "nbf": int(self.ctx.clock.now()),
            "oid": user.id,
            "tid": self.ctx.config.microsoft_tenant_id,
        }
        if "profile" in scopes:
            claims["name"] = user.name
            claims["preferred_username"] = graph_me(user)["userPrincipalName"]
        if "email" in scopes and user.email:
            claims["email"] = user.email
            # Microsoft's optional claim "email domain owner verified".
            claims["xms_edov"] = user.email_verified
        return oidc.id_token(self, request, authorization, access, nonce=nonce, claims=claims)

    def token_response(self, request: Request, issued: Issued) -> Response:
        expires_in = issued.access.expires_in(self.ctx.clock.now())
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(issued.scopes),
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": issued.access.value,
        }
        if issued.refresh is not None:
            body["refresh_token"] = issued.refresh.value
        if issued.id_token is not None:
            body["id_token"] = issued.id_token
        return JSONResponse(body, headers={"cache-control": "no-store"})

    def token_error(self, request: Request, error: FlowError) -> Response:
        number = AADSTS.get(error.reason, 90014)
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        body = {
            "error": error.kind,
            "error_description": (
                f"AADSTS{number}: {error.description} Trace ID: {trace} "
                f"Correlation ID: {correlation} Timestamp: {stamp}"
            ),
            "error_codes": [number],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={number}",
        }
        return JSONResponse(body, status_code=401 if error.kind == "invalid_client" else 400)

    def api_error(self, request: Request, error: FlowError) -> Response:
        message = {
            "param_missing": "Access token is empty.",
            "token_expired": "Lifetime validation failed, the token is expired.",
        }.get(error.reason, "Invalid access token.")
        body = {
            "error": {
                "code": "InvalidAuthenticationToken",
                "message": message,
                "innerError": {
                    "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": str(uuid.uuid4()),
                    "client-request-id": str(uuid.uuid4()),
                },
            }
        }
        return JSONResponse(body, status_code=401)
