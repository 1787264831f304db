"""The mock OAuth server as one ASGI app: four providers, the control API, the gate."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from apiconform.mocks.oauth_server.config import MockOAuthConfig, ProviderName
from apiconform.mocks.oauth_server.context import MockContext
from apiconform.mocks.oauth_server.control import control_routes
from apiconform.mocks.oauth_server.facebook import Facebook
from apiconform.mocks.oauth_server.faults import FaultBoard
from apiconform.mocks.oauth_server.gate import ProviderGate
from apiconform.mocks.oauth_server.github import GitHub
from apiconform.mocks.oauth_server.google import Google
from apiconform.mocks.oauth_server.hostguard import HostHeaderGuard
from apiconform.mocks.oauth_server.journal import Journal
from apiconform.mocks.oauth_server.microsoft import Microsoft
from apiconform.mocks.oauth_server.provider import Provider, origin
from apiconform.mocks.oauth_server.state import Clock, TokenStore
from apiconform.mocks.oauth_server.users import UserDirectory


@dataclass(frozen=True)
class ProviderEndpoints:
    """The URLs of one provider's endpoints (None where the provider has no such one)."""

    provider: str
    issuer: str | None
    authorize: str
    token: str
    discovery: str | None = None
    jwks: str | None = None
    userinfo: str | None = None
    people: str | None = None
    user: str | None = None
    emails: str | None = None
    me: str | None = None

    def as_dict(self) -> dict[str, str]:
        """The URLs that exist, by endpoint name."""
        return {k: v for k, v in asdict(self).items() if v is not None and k != "provider"}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = "not_found" if exc.status_code == 404 else "invalid_request"
    return JSONResponse(
        {"error": error, "error_description": exc.detail},
        status_code=exc.status_code,
        headers=exc.headers,
    )


class MockOAuthApp:
    """The mock OAuth server's ASGI app and its state.

    Serve it with any ASGI server, mount it in httpx with
    :class:`~apiconform.mocks.oauth_server.transport.MockOAuthTransport`, or run it with
    :class:`~apiconform.mocks.oauth_server.server.MockOAuthServer`. ``faults``,
    ``requests``, ``users`` and ``clock`` steer and observe it from Python.
    """

    def __init__(self, config: MockOAuthConfig | None = None, *, clock: Clock | None = None):
        self.config = config or MockOAuthConfig()
        self.context = MockContext.create(self.config, clock)
        providers: list[Provider] = [
            cls(self.context) for cls in (Google, GitHub, Facebook, Microsoft)
        ]
        self.providers: dict[str, Provider] = {p.name: p for p in providers}
        self._routes = {p.name: p.routes() for p in providers}
        routes: list[Any] = control_routes(self.context, self._index)
        for provider_routes in self._routes.values():
            routes.extend(provider_routes)
        starlette = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
        # The Host header is checked first: every URL the mock hands out is built from it.
        gate = ProviderGate(starlette, ctx=self.context, resolve=self._resolve)
        self._asgi = HostHeaderGuard(gate)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)

    @property
    def faults(self) -> FaultBoard:
        return self.context.faults

    @property
    def requests(self) -> Journal:
        return self.context.journal

    @property
    def users(self) -> UserDirectory:
        return self.context.users

    @property
    def clock(self) -> Clock:
        return self.context.clock

    @property
    def store(self) -> TokenStore:
        return self.context.store

    def reset(self) -> None:
        """Forget codes, tokens and requests; restore the configured users and faults."""
        self.context.reset()

    def endpoints(
        self, provider: ProviderName, base_url: str, *, real: bool = False
    ) -> ProviderEndpoints:
        """The URLs of ``provider``'s endpoints for a mock reached at ``base_url`` (or, with
        ``real``, on the real provider hosts, as respx routes them)."""
        impl = self.providers[provider]
        urls = impl.endpoint_urls(base_url, real=real)
        return ProviderEndpoints(provider=provider, issuer=impl.issuer(base_url, real=real), **urls)

    def _resolve(self, scope: Scope) -> tuple[str, str | None] | None:
        """The provider and endpoint name a request is for; None for the control API."""
        name = scope["path"].split("/", 2)[1]
        routes: list[Route] | None = self._routes.get(name)
        if routes is None:
            return None
        for route in routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return name, route.name
        return name, None

    def _index(self, request: Request) -> dict[str, Any]:
        base, real = origin(request)
        client = self.config.clients[0]
        return {
            "service": "apiconform mock OAuth server",
            "client_id": client.client_id,
            "client_secret": client.shown_secret,
            "providers": {
                name: impl.endpoint_urls(base, real=real) for name, impl in self.providers.items()
            },
            "control": f"{base.rstrip('/')}/_control",
        }
