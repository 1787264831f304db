"""Google: OIDC discovery, authorize, token, userinfo, the People API's ``people/me``, JWKS
and RS256 id_tokens.

Paths mirror Google's own under ``/google`` (``accounts.google.com``,
``oauth2.googleapis.com``, ``openidconnect.googleapis.com``, ``www.googleapis.com`` and
``people.googleapis.com`` all map there). As at Google, a refresh token comes only with
``access_type=offline``, and userinfo, id_token and People API fields follow the granted
scopes (``email``, ``profile``). Google's APIs take the access token in the Authorization
header or as the ``access_token`` query parameter; userinfo, an OpenID Connect endpoint,
also as a form-body field of a POST.
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

PEOPLE_DOCS = "https://developers.google.com/people/api/rest/v1/people/get"
# The personFields paths the People API knows; the mock has data for names, emailAddresses
# and photos, and returns nothing for the others, as for a person who filled none in.
PERSON_FIELDS = frozenset(
    {
        "addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData",
        "coverPhotos", "emailAddresses", "events", "externalIds", "genders", "imClients",
        "interests", "locales", "locations", "memberships", "metadata", "miscKeywords",
        "names", "nicknames", "occupations", "organizations", "phoneNumbers", "photos",
        "relations", "sipAddresses", "skills", "urls", "userDefined",
    }
)  # fmt: skip
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
        Endpoint("people", "people", "/v1/people/me"),
    )
    access_prefix = "ya29.mock-"
    refresh_prefix = "1//mock-"
    oidc = True
    token_in_query = True
    token_in_form = True

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
            record = await self.bearer(request)
        except FlowError as error:
            return self.api_error(request, error)
        user = self.profile(record.authorization)
        return JSONResponse(google_claims(user, record.authorization.scopes))

    async def people(self, request: Request) -> Response:
        """The People API's ``people/me``: the ``personFields`` asked for, as far as the
        granted scopes release them."""
        try:
            record = await self.bearer(request)
        except FlowError as error:
            return self.people_error(request, error)
        asked = [f.strip() for f in (request.query_params.get("personFields") or "").split(",")]
        fields = [f for f in asked if f]
        if not fields:
            return _invalid_argument(
                f"personFields mask is required. Please specify one or more valid paths. "
                f"Valid paths are documented at {PEOPLE_DOCS}."
            )
        unknown = [f for f in fields if f not in PERSON_FIELDS]
        if unknown:
            return _invalid_argument(
                f'Invalid personFields mask path: "{unknown[0]}". '
                f"Valid paths are documented at {PEOPLE_DOCS}."
            )
        user = self.profile(record.authorization)
        return JSONResponse(person(user, record.authorization.scopes, set(fields)))

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
        return JSONResponse(
            {"error": "invalid_request", "error_description": "Invalid Credentials"},
            status_code=401,
            headers={"www-authenticate": self._challenge(request)},
        )

    def people_error(self, request: Request, error: FlowError) -> Response:
        """The People API's 401, in the shape of Google's JSON APIs."""
        missing = error.reason == "param_missing"
        message = (
            "Request is missing required authentication credential."
            if missing
            else "Request had invalid authentication credentials."
        )
        body = {
            "error": {
                "code": 401,
                "message": f"{message} Expected OAuth 2 access token, login cookie or other "
                "valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "status": "UNAUTHENTICATED",
            }
        }
        return JSONResponse(
            body, status_code=401, headers={"www-authenticate": self._challenge(request)}
        )

    def _challenge(self, request: Request) -> str:
        base, real = origin(request)
        realm = self.host_url(base, "accounts", "/", real=real)
        return f'Bearer realm="{realm}", error="invalid_token"'


def _invalid_argument(message: str) -> Response:
    body = {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
    return JSONResponse(body, status_code=400)


def person(user: MockUser, scopes: tuple[str, ...], fields: set[str]) -> dict[str, Any]:
    """The People API's resource for ``user``: the ``fields`` asked for that the granted
    ``scopes`` release (names and photos with ``profile``, email addresses with ``email``)."""
    granted = set(scopes)
    source = {"type": "PROFILE", "id": user.id}
    result: dict[str, Any] = {"resourceName": f"people/{user.id}", "etag": f"%mock{user.id}"}
    if PROFILE_SCOPES & granted:
        if "names" in fields:
            name: dict[str, Any] = {
                "metadata": {"primary": True, "sourcePrimary": True, "source": source},
                "displayName": user.name,
                "givenName": user.given_name,
                "unstructuredName": user.name,
            }
            if user.family_name:
                name["familyName"] = user.family_name
                name["displayNameLastFirst"] = f"{user.family_name}, {user.given_name}"
            result["names"] = [name]
        if "photos" in fields and user.picture:
            photo = {"metadata": {"primary": True, "source": source}, "url": user.picture}
            result["photos"] = [photo]
    if EMAIL_SCOPES & granted and "emailAddresses" in fields and user.email:
        metadata = {
            "primary": True,
            "verified": user.email_verified,
            "sourcePrimary": True,
            "source": {"type": "ACCOUNT", "id": user.id},
        }
        result["emailAddresses"] = [{"metadata": metadata, "value": user.email}]
    return result
