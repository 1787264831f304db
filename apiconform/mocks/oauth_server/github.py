"""GitHub: authorize, access_token, ``/user`` and ``/user/emails``.

``github.com`` maps to ``/github`` and ``api.github.com`` to ``/github/api``. As GitHub
does, the token endpoint takes its parameters from the query string, a form body or a JSON
body, answers form-encoded unless the request accepts JSON or XML, reports errors with
HTTP 200 and its own codes (``bad_verification_code``, ``incorrect_client_credentials``,
``redirect_uri_mismatch``, ``bad_refresh_token``), and returns scopes comma-separated. The
API takes the token only in the Authorization header (``Bearer`` or ``token``), refuses a
request without a User-Agent, and ``/user`` shows ``email: null`` for a private email.
Tokens expire and refresh as GitHub's expiring user tokens do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from apiconform.mocks.oauth_server.config import MockUser
from apiconform.mocks.oauth_server.errors import FlowError
from apiconform.mocks.oauth_server.flow import Issued
from apiconform.mocks.oauth_server.params import FORM_TYPE, JSON_TYPE
from apiconform.mocks.oauth_server.provider import Endpoint, Provider, origin

DOCS = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
USER_AGENT_REQUIRED = (
    "Request forbidden by administrative rules. Please make sure your request has a "
    "User-Agent header (https://docs.github.com/en/rest/using-the-rest-api/"
    "getting-started-with-the-rest-api#user-agent). "
    "Check https://developer.github.com for other possible causes."
)
# GitHub's refresh token lifetime (six months), issued and advertised when the config sets
# none.
REFRESH_LIFETIME = 15_897_600


def github_error(error: FlowError) -> tuple[str, str]:
    """GitHub's error code and description for ``error``."""
    if error.kind == "invalid_client" or error.reason in ("client_mismatch", "client_missing"):
        return (
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        )
    if error.reason == "redirect_mismatch":
        return (
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
        )
    if error.kind == "unsupported_grant_type":
        return "unsupported_grant_type", error.description
    if error.kind == "invalid_scope":
        return "invalid_scope", error.description
    if error.grant_type == "refresh_token":
        return "bad_refresh_token", "The refresh token passed is incorrect or expired."
    return "bad_verification_code", "The code passed is incorrect or expired."


class GitHub(Provider):
    name = "github"
    title = "GitHub"
    endpoints = (
        Endpoint("authorize", "web", "/login/oauth/authorize"),
        Endpoint("consent", "web", "/login/oauth/_consent", ("POST",)),
        Endpoint("token", "web", "/login/oauth/access_token", ("POST",)),
        Endpoint("user", "api", "/user"),
        Endpoint("emails", "api", "/user/emails"),
    )
    access_prefix = "gho_mock"
    refresh_prefix = "ghr_mock"
    requires_response_type = False
    requires_scope = False
    requires_grant_type = False
    token_requires_redirect_uri = False
    token_params_in_query = True
    token_body_types = (FORM_TYPE, JSON_TYPE)
    bearer_schemes = ("bearer", "token")

    def deny_params(self) -> dict[str, str]:
        return {
            "error": "access_denied",
            "error_description": "The user has denied your application access.",
            "error_uri": f"{DOCS}#access-denied",
        }

    def refresh_lifetime(self) -> float:
        # GitHub's refresh tokens always expire, after six months unless configured.
        return self.ctx.config.lifetimes.refresh_token or REFRESH_LIFETIME

    def _answer(self, request: Request, body: dict[str, Any], status: int = 200) -> Response:
        # GitHub answers the token endpoint in the format the client accepts: JSON, XML, or
        # by default form-encoded.
        accept = request.headers.get("accept", "")
        if "json" in accept:
            return JSONResponse(body, status_code=status)
        if "xml" in accept:
            members = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in body.items())
            return Response(
                f"<OAuth>{members}</OAuth>",
                status_code=status,
                media_type="application/xml; charset=utf-8",
            )
        form = urlencode(body)
        return Response(
            form, status_code=status, media_type="application/x-www-form-urlencoded; charset=utf-8"
        )

    def token_response(self, request: Request, issued: Issued) -> Response:
        now = self.ctx.clock.now()
        body: dict[str, Any] = {
            "access_token": issued.access.value,
            "expires_in": issued.access.expires_in(now),
        }
        if issued.refresh is not None:
            body["refresh_token"] = issued.refresh.value
            body["refresh_token_expires_in"] = issued.refresh.expires_in(now)
        body["scope"] = ",".join(issued.scopes)
        body["token_type"] = "bearer"  # noqa: S105 - a token type, not a password
        return self._answer(request, body)

    def token_error(self, request: Request, error: FlowError) -> Response:
        code, description = github_error(error)
        return self._answer(
            request,
            {"error": code, "error_description": description, "error_uri": f"{DOCS}#{code}"},
        )

    def api_error(self, request: Request, error: FlowError) -> Response:
        message = (
            "Requires authentication" if error.reason == "param_missing" else "Bad credentials"
        )
        body = {
            "message": message,
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        }
        return JSONResponse(body, status_code=401)

    def _api(self, request: Request, body: Any, scopes: tuple[str, ...]) -> Response:
        return JSONResponse(body, headers={"x-oauth-scopes": ", ".join(scopes)})

    async def user(self, request: Request) -> Response:
        if not request.headers.get("user-agent"):
            return _forbidden()
        try:
            record = await self.bearer(request)
        except FlowError as error:
            return self.api_error(request, error)
        user = self.profile(record.authorization)
        base, real = origin(request)
        resource = self.user_resource(user, base, real=real)
        return self._api(request, resource, record.authorization.scopes)

    async def emails(self, request: Request) -> Response:
        if not request.headers.get("user-agent"):
            return _forbidden()
        try:
            record = await self.bearer(request)
        except FlowError as error:
            return self.api_error(request, error)
        user = self.profile(record.authorization)
        listed = [] if user.email is None else [email_entry(user)]
        return self._api(request, listed, record.authorization.scopes)

    def user_resource(self, user: MockUser, base: str, *, real: bool = False) -> dict[str, Any]:
        """GitHub's ``/user`` resource of ``user``, its URLs under ``base`` (or real)."""
        login = user.handle()
        return {
            "login": login,
            "id": int(user.id),
            "node_id": f"U_mock{user.id}",
            "avatar_url": user.picture,
            "gravatar_id": "",
            "url": self.host_url(base, "api", f"/users/{login}", real=real),
            "html_url": self.host_url(base, "web", f"/{login}", real=real),
            "type": "User",
            "site_admin": False,
            "name": user.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": user.email if user.email_public else None,
            "hireable": None,
            "bio": None,
            "public_repos": 0,
            "followers": 0,
            "following": 0,
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-01-01T00:00:00Z",
        }


def _forbidden() -> Response:
    """GitHub's answer to an API request without a User-Agent."""
    return Response(USER_AGENT_REQUIRED + "\n", status_code=403, media_type="text/plain")


def email_entry(user: MockUser) -> dict[str, Any]:
    """The ``/user/emails`` entry of the user's (primary) email."""
    return {
        "email": user.email,
        "primary": True,
        "verified": user.email_verified,
        "visibility": "public" if user.email_public else "private",
    }
