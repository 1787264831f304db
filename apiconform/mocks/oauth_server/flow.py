"""The authorization-code protocol, shared by the four providers (RFC 6749, 7636, OIDC).

Authorize validates the request, then either shows the consent page or, in auto-approve
mode, redirects at once. The consent form answers once. The token endpoint authenticates
the client, then redeems a code (single use, short-lived, redirect URI and PKCE checked) or
rotates a refresh token. Provider hooks render every answer in the provider's own shape.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from apiconform.mocks.oauth_server import pkce
from apiconform.mocks.oauth_server.clients import authenticate, default_redirect, redirect_allowed
from apiconform.mocks.oauth_server.config import ClientConfig, MockUser
from apiconform.mocks.oauth_server.consent import consent_page
from apiconform.mocks.oauth_server.errors import FlowError
from apiconform.mocks.oauth_server.journal import parse_form
from apiconform.mocks.oauth_server.params import Params, body_pairs, media_type, missing
from apiconform.mocks.oauth_server.state import (
    Authorization,
    PendingConsent,
    TokenRecord,
    new_secret,
)

if TYPE_CHECKING:
    from apiconform.mocks.oauth_server.provider import Provider


@dataclass(frozen=True)
class Issued:
    """The tokens one grant produced."""

    access: TokenRecord
    refresh: TokenRecord | None
    id_token: str | None
    scopes: tuple[str, ...]


def with_params(uri: str, params: dict[str, str], fragment: str = "") -> str:
    """``uri`` with ``params`` added to its query string."""
    joiner = "&" if "?" in uri else "?"
    return f"{uri}{joiner}{urlencode(params)}{fragment}"


def error_page(error: FlowError, status: int = 400) -> Response:
    """An error shown to the user instead of redirecting (unknown client, bad redirect)."""
    code = "redirect_uri_mismatch" if error.reason == "redirect_mismatch" else error.kind
    return JSONResponse({"error": code, "error_description": error.description}, status_code=status)


def redirect(uri: str, params: dict[str, str], fragment: str = "") -> Response:
    return RedirectResponse(with_params(uri, params, fragment), status_code=302)


# authorize ------------------------------------------------------------------------------


async def authorize(provider: Provider, request: Request) -> Response:
    params = Params(request.query_params.multi_items())
    try:
        client, redirect_uri, given = _client_and_redirect(provider, params)
    except FlowError as error:
        return error_page(error)
    state = params.first("state")
    try:
        pending = _pending(provider, params, client, redirect_uri, given)
    except FlowError as error:
        answer = {"error": error.kind, "error_description": error.description}
        return redirect(redirect_uri, _with_state(answer, state))
    if provider.ctx.config.auto_approve:
        return _approve(
            provider, pending, provider.ctx.users.choose(provider.name, pending.login_hint)
        )
    provider.ctx.store.add_pending(pending)
    return consent_page(
        provider=provider.title,
        action=provider.url(request, "consent"),
        pending=pending,
        users=provider.ctx.users.list(provider.name),
        selected=provider.ctx.users.choose(provider.name, pending.login_hint).id,
    )


def _client_and_redirect(provider: Provider, params: Params) -> tuple[ClientConfig, str, bool]:
    """Errors here are shown, not redirected: the redirect target is not trusted yet."""
    client_id = params.require("client_id")
    client = provider.ctx.config.client(client_id)
    if client is None:
        raise FlowError("invalid_client", "client_unknown", "The OAuth client was not found.")
    uri = params.get("redirect_uri")
    if uri is None:
        fallback = default_redirect(client)
        if fallback is None:
            raise missing("redirect_uri")
        return client, fallback, False
    if not redirect_allowed(client, uri):
        raise FlowError(
            "invalid_request",
            "redirect_mismatch",
            f"The redirect URI {uri} is not registered for client {client_id}.",
        )
    return client, uri, True


def _pending(
    provider: Provider, params: Params, client: ClientConfig, redirect_uri: str, given: bool
) -> PendingConsent:
    response_type = params.get("response_type")
    if response_type is None and provider.requires_response_type:
        raise missing("response_type")
    if response_type not in (None, "code"):
        raise FlowError(
            "unsupported_response_type",
            "param_invalid",
            f"Unsupported response_type: {response_type}.",
        )
    if params.get("response_mode") not in (None, "query"):
        raise FlowError(
            "invalid_request", "param_invalid", "Only response_mode=query is supported."
        )
    scope = params.get("scope")
    if scope is None and provider.requires_scope:
        raise missing("scope")
    scopes = split_scopes(scope or "")
    config = provider.ctx.config
    method = pkce.check_challenge(
        params.get("code_challenge"),
        params.get("code_challenge_method"),
        plain_allowed=config.pkce_plain,
        required=config.require_pkce or client.public,
    )
    return PendingConsent(
        id=new_secret(nbytes=16),
        provider=provider.name,
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        redirect_given=given,
        scopes=scopes,
        state=params.get("state"),
        nonce=params.get("nonce"),
        code_challenge=params.get("code_challenge"),
        code_challenge_method=method,
        login_hint=params.get("login_hint") or params.get("login"),
        offline=provider.offline(scopes, params.get("access_type")),
        expires_at=provider.ctx.clock.now() + config.lifetimes.consent,
    )


def split_scopes(scope: str) -> tuple[str, ...]:
    """Scopes as sent: space-separated (GitHub also takes commas), duplicates dropped."""
    return tuple(dict.fromkeys(s for s in scope.replace(",", " ").split(" ") if s))


def _with_state(params: dict[str, str], state: str | None) -> dict[str, str]:
    return {**params, "state": state} if state is not None else params


def _approve(provider: Provider, pending: PendingConsent, user: MockUser) -> Response:
    code = provider.ctx.store.issue_code(pending, user.id)
    answer = _with_state(provider.approve_params(pending, code), pending.state)
    return redirect(pending.redirect_uri, answer, provider.redirect_fragment)


# consent --------------------------------------------------------------------------------


async def consent(provider: Provider, request: Request) -> Response:
    """The consent form's answer: ``decision`` is ``approve`` or ``deny``."""
    form = parse_form(await request.body())
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        return error_page(
            FlowError("invalid_request", "param_invalid", "decision must be approve or deny.")
        )
    user = None
    if decision == "approve":
        user = provider.ctx.users.get(provider.name, form.get("user", ""))
        if user is None:
            return error_page(FlowError("invalid_request", "param_invalid", "Choose a test user."))
    pending = provider.ctx.store.take_pending(form.get("request_id", ""), provider.name)
    if pending is None:
        return error_page(
            FlowError(
                "invalid_request", "param_invalid", "The sign-in request is unknown or expired."
            )
        )
    if user is None:
        answer = _with_state(provider.deny_params(), pending.state)
        return redirect(pending.redirect_uri, answer, provider.redirect_fragment)
    return _approve(provider, pending, user)


# token ----------------------------------------------------------------------------------


async def token(provider: Provider, request: Request) -> Response:
    pairs = body_pairs(await request.body(), media_type(request), provider.token_body_types)
    if provider.token_params_in_query or request.method == "GET":
        pairs = [*request.query_params.multi_items(), *pairs]
    params = Params(pairs)
    grant_type: str | None = None
    try:
        client = authenticate(
            provider.ctx.config,
            params,
            request.headers.get("authorization"),
            methods=provider.client_auth_methods,
        )
        grant_type = params.get("grant_type")
        if grant_type is None:
            if provider.requires_grant_type or "code" not in params:
                raise missing("grant_type")
            grant_type = "authorization_code"
        if provider.faults().invalid_grant:
            raise FlowError("invalid_grant", "fault", "Bad Request")
        if grant_type == "authorization_code":
            issued = _redeem_code(provider, request, params, client)
        elif grant_type == "refresh_token":
            issued = _refresh(provider, request, params, client)
        else:
            return await provider.extra_grant(request, grant_type, params, client)
    except FlowError as error:
        error.grant_type = grant_type
        return provider.token_error(request, error)
    return provider.token_response(request, issued)


def _redeem_code(
    provider: Provider, request: Request, params: Params, client: ClientConfig
) -> Issued:
    store = provider.ctx.store
    record = store.find_code(params.require("code"), provider.name, client.client_id)
    uri = params.get("redirect_uri")
    if uri is None and record.redirect_given and provider.token_requires_redirect_uri:
        raise missing("redirect_uri")
    if uri is not None and uri != record.redirect_uri:
        raise FlowError(
            "invalid_grant",
            "redirect_mismatch",
            "redirect_uri does not match the authorization request.",
        )
    pkce.verify(params.get("code_verifier"), record.code_challenge, record.code_challenge_method)
    store.use_code(record)
    authorization = record.authorization
    return issue(provider, request, authorization, refresh=authorization.offline, nonce=True)


def _refresh(provider: Provider, request: Request, params: Params, client: ClientConfig) -> Issued:
    store = provider.ctx.store
    record = store.refresh(params.require("refresh_token"), provider.name, client.client_id)
    authorization = record.authorization
    scope = params.get("scope")
    narrowed = authorization
    if scope is not None:
        wanted = split_scopes(scope)
        if not set(wanted) <= set(authorization.scopes):
            raise FlowError("invalid_scope", "scope_widened", "The scope exceeds what was granted.")
        narrowed = replace(authorization, scopes=wanted)
    rotate = provider.ctx.config.rotate_refresh_tokens
    if rotate:
        store.retire(record)
    issued = issue(provider, request, narrowed, refresh=False, nonce=False)
    new_refresh: TokenRecord | None = None
    if rotate:
        new_refresh = store.issue(
            "refresh",
            authorization,
            prefix=provider.refresh_prefix,
            lifetime=provider.refresh_lifetime(),
        )
    return replace(issued, refresh=new_refresh)


def issue(
    provider: Provider,
    request: Request,
    authorization: Authorization,
    *,
    refresh: bool,
    nonce: bool,
    access_lifetime: float | None = None,
) -> Issued:
    """Issue an access token (and a refresh token and id_token where due)."""
    store, lifetimes = provider.ctx.store, provider.ctx.config.lifetimes
    short = provider.ctx.faults.get(provider.name).access_token_lifetime
    access = store.issue(
        "access",
        authorization,
        prefix=provider.access_prefix,
        lifetime=access_lifetime or short or lifetimes.access_token,
    )
    refresh_record = None
    if refresh:
        refresh_record = store.issue(
            "refresh",
            authorization,
            prefix=provider.refresh_prefix,
            lifetime=provider.refresh_lifetime(),
        )
    id_token = None
    if provider.oidc and "openid" in authorization.scopes:
        id_token = provider.id_token(request, authorization, access, nonce=nonce)
    return Issued(access, refresh_record, id_token, authorization.scopes)
