"""``@oauth``: a controller method as the end of a provider sign-in.

    @controller("shop")
    class ShopLogin:
        @oauth(provider="github", scopes=["read:user", "user:email"],
               callback_path="/github/callback")
        async def signed_in(self, request: Request, login: OAuthLogin) -> Response | None:
            ...

registers two routes under the controller's prefix: the callback (``callback_path``,
``/<provider>/callback`` by default) and the login that redirects to the provider
(``login_path``, by default the callback path without its ``/callback``). The login asks
for the method's ``scopes`` (the provider's configured ones by default). The callback runs
the whole sign-in first (state, code exchange, profile, user), then calls the method with
the result; a method that returns None answers with the session (JSON or cookie), as the
built-in callback does. The provider must be enabled in ``[auth]``, or the application does
not start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response

from apiconform.errors import ConfigError
from apiconform.reference.auth import flows
from apiconform.reference.auth.service import AuthService
from apiconform.reference.kernel.controllers import CONTAINER_KEY, controller_meta, get, join_path
from apiconform.reference.kernel.feature import RouteDef

F = TypeVar("F", bound=Callable[..., Any])
Param = Annotated[str | None, Query(max_length=4096)]
_ATTR = "__apiconform_oauth__"


@dataclass(frozen=True)
class OAuthRoute:
    provider: str
    scopes: tuple[str, ...] | None
    login_path: str | None


@dataclass(frozen=True)
class OAuthLogin:
    """What a completed sign-in hands the decorated method."""

    provider: str
    user_id: int
    linked: bool


def oauth(
    *,
    provider: str,
    scopes: list[str] | None = None,
    callback_path: str | None = None,
    login_path: str | None = None,
) -> Callable[[F], F]:
    """Declare a provider sign-in ending in the decorated controller method."""

    def mark(fn: F) -> F:
        setattr(fn, _ATTR, OAuthRoute(provider, tuple(scopes) if scopes else None, login_path))
        return get(callback_path or f"/{provider}/callback")(fn)

    return mark


async def _service(request: Request) -> AuthService:
    found = await request.scope[CONTAINER_KEY].aresolve(AuthService)
    assert isinstance(found, AuthService)
    return found


def oauth_routes(service: AuthService) -> Callable[[RouteDef], Iterator[RouteDef]]:
    """The route transform that turns each ``@oauth`` method into its two routes."""

    def transform(route: RouteDef) -> Iterator[RouteDef]:
        meta: OAuthRoute | None = getattr(route.function, _ATTR, None)
        if meta is None:
            yield route
            return
        if meta.provider not in service.providers:
            raise ConfigError(
                f"route {route.name}: @oauth provider {meta.provider!r} is not enabled in [auth]"
            )
        yield route.replace(function=_callback(route.function, meta))
        prefix = controller_meta(route.controller).prefix
        login = (
            join_path(prefix, meta.login_path)
            if meta.login_path
            else route.path.removesuffix("/callback")
        )
        if login == route.path:
            login = f"{route.path}/login"
        options = {"tags": route.options.get("tags", [])}
        yield RouteDef(
            route.controller, _login(route.function, meta, route.path), "GET", login, options
        )

    return transform


def _login(method: Callable[..., Any], meta: OAuthRoute, callback: str) -> Callable[..., Any]:
    async def login(self: Any, request: Request) -> Response:
        auth = await _service(request)
        return flows.redirect_to_provider(
            auth, request, meta.provider, callback, scopes=meta.scopes
        )

    login.__name__ = f"{method.__name__}__oauth_login"
    login.__qualname__ = login.__name__
    return login


def _callback(method: Callable[..., Any], meta: OAuthRoute) -> Callable[..., Any]:
    async def callback(
        self: Any, request: Request, code: Param = None, state: Param = None, error: Param = None
    ) -> Any:
        auth = await _service(request)
        if error is not None:
            return flows.declined(auth, meta.provider, error)
        user_id, linked = await flows.finish(auth, request, meta.provider, code, state)
        answer = await method(self, request, OAuthLogin(meta.provider, user_id, linked))
        return flows.session_response(auth, request, user_id) if answer is None else answer

    callback.__name__ = f"{method.__name__}__oauth_callback"
    callback.__qualname__ = callback.__name__
    callback.__doc__ = method.__doc__
    return callback
