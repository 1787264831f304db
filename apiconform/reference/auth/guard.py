"""Authentication as a route guard: ``@authenticated`` routes need a valid session JWT
(``Authorization: Bearer`` or the session cookie); the user id goes to
``request.state.user_id``. A missing, forged, expired or ``alg: none`` token and a token of
a deleted user get the same 401, so the answer tells nothing about who exists."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request

from apiconform.reference.auth.errors import NotSignedIn
from apiconform.reference.auth.sessions import InvalidSession
from apiconform.reference.kernel.feature import Guard, RouteDef

if TYPE_CHECKING:
    from apiconform.reference.auth.service import AuthService

F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "__apiconform_authenticated__"


def authenticated(fn: F) -> F:
    """Mark a controller method as needing a signed-in user."""
    setattr(fn, _ATTR, True)
    return fn


def session_token(request: Request, cookie: str) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(cookie) or None


def guard_factory(service: AuthService) -> Callable[[RouteDef], Guard | None]:
    def make(route: RouteDef) -> Guard | None:
        if not getattr(route.function, _ATTR, False):
            return None

        async def guard(request: Request) -> None:
            token = session_token(request, service.config.session_cookie)
            if token is None or len(token) > 4096:
                raise NotSignedIn()
            try:
                user_id = service.sessions.verify(token)
            except InvalidSession:
                raise NotSignedIn() from None
            accounts = await service.accounts()
            if await accounts.describe(user_id) is None:
                raise NotSignedIn()
            request.state.user_id = user_id

        return guard

    return make
