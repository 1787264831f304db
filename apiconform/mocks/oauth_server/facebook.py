"""Facebook: the OAuth dialog, ``oauth/access_token`` and Graph ``/me?fields=...``.

``www.facebook.com`` and ``graph.facebook.com`` both map to ``/facebook``, with or without
a version segment (``/v19.0/dialog/oauth``). As Facebook does, it issues no refresh token
(a short-lived token is exchanged for a long-lived one with ``grant_type=
fb_exchange_token``), appends ``#_=_`` to its redirects, returns only the fields asked for,
returns an email only with the ``email`` permission and only a confirmed one, and reports
errors as ``{"error": {"type": "OAuthException", "code": ..., "error_subcode": ...}}``.
The token endpoint takes the client's id and secret only as parameters (query string or
form body), never by HTTP Basic; the Graph API takes the access token as the
``access_token`` parameter or in the Authorization header, and checks an
``appsecret_proof`` when one is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from apiconform.mocks.oauth_server.config import ClientConfig, MockUser
from apiconform.mocks.oauth_server.errors import FlowError, Reason
from apiconform.mocks.oauth_server.flow import Issued, issue
from apiconform.mocks.oauth_server.params import Params
from apiconform.mocks.oauth_server.provider import Endpoint, Provider
from apiconform.mocks.oauth_server.state import TokenRecord

SILHOUETTE = "https://static.xx.fbcdn.net/rsrc.php/v1/yo/r/UlIqmHJn-SK.gif"
FIELDS = ("id", "name", "first_name", "last_name", "email", "picture")

# (code, subcode, message) by reason, as Facebook reports the same causes.
_ERRORS: dict[Reason, tuple[int, int | None, str]] = {
    "client_missing": (101, None, "Missing client_id parameter."),
    "client_unknown": (101, None, "Error validating application. Invalid application ID."),
    "client_secret_wrong": (1, None, "Error validating client secret."),
    "client_secret_missing": (1, None, "Missing client_secret parameter."),
    "redirect_mismatch": (
        100,
        36008,
        "Error validating verification code. Please make sure your redirect_uri is "
        "identical to the one you used in the OAuth dialog request",
    ),
    "code_expired": (100, 36007, "This authorization code has expired."),
    "code_replayed": (100, 36009, "This authorization code has been used."),
    "token_expired": (190, 463, "Error validating access token: Session has expired."),
    "token_unknown": (190, None, "Invalid OAuth access token - Cannot parse access token"),
    "token_revoked": (190, 460, "Error validating access token: The session was invalidated."),
}


def fb_error(error: FlowError) -> dict[str, Any]:
    code, subcode, message = _ERRORS.get(error.reason, (100, None, error.description))
    body: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    body["fbtrace_id"] = secrets.token_urlsafe(8)
    return {"error": body}


def _field_names(fields: str) -> list[str]:
    # "picture.type(large)" and "picture{url}" name the field "picture".
    return [re.split(r"[.{]", f.strip(), maxsplit=1)[0] for f in fields.split(",") if f.strip()]


class Facebook(Provider):
    name = "facebook"
    title = "Facebook"
    endpoints = (
        Endpoint("authorize", "www", "/dialog/oauth"),
        Endpoint("authorize", "www", "/{version}/dialog/oauth"),
        Endpoint("consent", "www", "/_consent", ("POST",)),
        Endpoint("token", "graph", "/oauth/access_token", ("GET", "POST")),
        Endpoint("token", "graph", "/{version}/oauth/access_token", ("GET", "POST")),
        Endpoint("me", "graph", "/me"),
        Endpoint("me", "graph", "/{version}/me"),
    )
    access_prefix = "EAAmock"
    requires_response_type = False
    requires_scope = False
    requires_grant_type = False
    redirect_fragment = "#_=_"
    token_params_in_query = True
    client_auth_methods = ("client_secret_post",)
    token_in_query = True

    def offline(self, params_scope: tuple[str, ...], access_type: str | None) -> bool:
        return False

    def deny_params(self) -> dict[str, str]:
        return {
            "error": "access_denied",
            "error_code": "200",
            "error_description": "Permissions error",
            "error_reason": "user_denied",
        }

    def token_response(self, request: Request, issued: Issued) -> Response:
        body = {
            "access_token": issued.access.value,
            "token_type": "bearer",
            "expires_in": issued.access.expires_in(self.ctx.clock.now()),
        }
        return JSONResponse(body, headers={"cache-control": "no-store"})

    def token_error(self, request: Request, error: FlowError) -> Response:
        return JSONResponse(fb_error(error), status_code=400)

    def api_error(self, request: Request, error: FlowError) -> Response:
        if error.reason == "param_missing":
            message = (
                "An active access token must be used to query information about the current user."
            )
            body = {"message": message, "type": "OAuthException", "code": 2500}
            return JSONResponse({"error": {**body, "fbtrace_id": secrets.token_urlsafe(8)}}, 400)
        return JSONResponse(fb_error(error), status_code=400)

    async def extra_grant(
        self, request: Request, grant_type: str, params: Params, client: ClientConfig
    ) -> Response:
        """``fb_exchange_token``: a live token for a long-lived one of the same grant, for
        the client it was issued to only."""
        if grant_type != "fb_exchange_token":
            return await super().extra_grant(request, grant_type, params, client)
        record = self.ctx.store.access_token(params.require("fb_exchange_token"), self.name)
        if record.authorization.client_id != client.client_id:
            raise FlowError(
                "invalid_grant", "client_mismatch", "The token was issued to another client."
            )
        issued = issue(
            self,
            request,
            record.authorization,
            refresh=False,
            nonce=False,
            access_lifetime=self.ctx.config.lifetimes.long_lived_token,
        )
        return self.token_response(request, issued)

    async def me(self, request: Request) -> Response:
        try:
            record = await self.bearer(request)
        except FlowError as error:
            return self.api_error(request, error)
        proof = request.query_params.get("appsecret_proof")
        if proof is not None and not self._proof_matches(proof, record):
            body = {
                "message": "Invalid appsecret_proof provided in the API argument",
                "type": "GraphMethodException",
                "code": 100,
                "fbtrace_id": secrets.token_urlsafe(8),
            }
            return JSONResponse({"error": body}, status_code=400)
        names = _field_names(request.query_params.get("fields") or "id,name")
        unknown = [n for n in names if n not in FIELDS]
        if unknown:
            message = f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (User)"
            unknown_field = FlowError("invalid_request", "param_invalid", message)
            return JSONResponse(fb_error(unknown_field), status_code=400)
        user = self.profile(record.authorization)
        granted = "email" in record.authorization.scopes
        values = self.fields(user, email_granted=granted)
        return JSONResponse({n: values[n] for n in dict.fromkeys(names) if n in values})

    def _proof_matches(self, proof: str, record: TokenRecord) -> bool:
        """``appsecret_proof`` is the HMAC-SHA256 of the access token keyed with the secret
        of the app the token was issued to, in hex."""
        client = self.ctx.config.client(record.authorization.client_id)
        if client is None or client.client_secret is None:
            return False
        expected = hmac.new(
            client.client_secret.encode(), record.value.encode(), hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(proof.lower().encode(), expected.encode())

    def fields(self, user: MockUser, *, email_granted: bool) -> dict[str, Any]:
        """Every field of ``user`` Facebook would return (an absent email is left out)."""
        values: dict[str, Any] = {
            "id": user.id,
            "name": user.name,
            "first_name": user.given_name,
            "last_name": user.family_name or "",
            "picture": {
                "data": {
                    "height": 50,
                    "width": 50,
                    "is_silhouette": user.picture is None,
                    "url": user.picture or SILHOUETTE,
                }
            },
        }
        if email_granted and user.email and user.email_verified:
            values["email"] = user.email
        return values
