"""The HTTP side of a provider sign-in, shared by the built-in auth routes and the routes
``@oauth`` declares: the redirect to the provider (with the browser cookie), the answer to
a refusal at the provider, the callback's checks and the session handed back."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from apiconform.reference.auth.pages import MESSAGES
from apiconform.reference.auth.service import AuthService
from apiconform.reference.errors.exceptions import BadRequest
from apiconform.reference.kernel.net import client_address

BROWSER_COOKIE = "apiconform_oauth"
_BROWSER_SECRET = 43  # length of secrets.token_urlsafe(32)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def redirect_to_provider(
    auth: AuthService,
    request: Request,
    provider: str,
    callback_path: str,
    *,
    link_user_id: int | None = None,
    scopes: tuple[str, ...] | None = None,
) -> Response:
    browser = request.cookies.get(BROWSER_COOKIE) or ""
    if len(browser) != _BROWSER_SECRET:
        browser = secrets.token_urlsafe(32)
    callback = str(request.base_url).rstrip("/") + callback_path
    url = auth.start(provider, browser, callback, link_user_id, scopes=scopes)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=int(auth.config.state_ttl),
        httponly=True,
        samesite="lax",
        secure=auth.config.secure_cookies,
        path="/",
    )
    return response


def declined(auth: AuthService, provider: str, error: str) -> Response:
    """The user declined (or the provider failed): no state is needed to say so, nothing
    is written, and the error page gets a short known code, never the provider's text."""
    known = error if error in MESSAGES else "provider_error"
    auth.log.info("oauth.declined", provider=provider, error=known)
    return RedirectResponse(f"{auth.config.error_page}?{urlencode({'code': known})}", 302)


async def finish(
    auth: AuthService, request: Request, provider: str, code: str | None, state: str | None
) -> tuple[int, bool]:
    """The callback's work once no error came back: the state first, then the code."""
    pending = auth.check_state(
        provider, state, request.cookies.get(BROWSER_COOKIE), client_address(request.scope)
    )
    if not code:
        raise BadRequest("the provider sent no authorization code")
    return await auth.complete(pending, code)


def session_json(auth: AuthService, user_id: int, *, status: int = 200) -> Response:
    return JSONResponse(
        {
            "access_token": auth.sessions.issue(user_id),
            "token_type": "bearer",
            "expires_in": auth.config.session_ttl,
            "user_id": user_id,
        },
        status_code=status,
    )


def session_response(auth: AuthService, request: Request, user_id: int) -> Response:
    """The session as JSON when the request accepts it, else a cookie and a redirect."""
    if wants_json(request):
        return session_json(auth, user_id)
    response = RedirectResponse(auth.config.after_login, status_code=302)
    response.set_cookie(
        auth.config.session_cookie,
        auth.sessions.issue(user_id),
        max_age=auth.config.session_ttl,
        httponly=True,
        samesite="lax",
        secure=auth.config.secure_cookies,
        path="/",
    )
    return response
