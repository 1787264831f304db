"""What the four providers share: routes from an endpoint table, the URLs they hand out,
bearer-token lookup, and hooks through which each renders responses in its own shape.

The protocol itself (authorize, consent, token) lives in :mod:`.flow`; a provider module
declares its endpoints and overrides the hooks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from apiconform.mocks.oauth_server import flow
from apiconform.mocks.oauth_server.config import ClientConfig, MockUser, ProviderName
from apiconform.mocks.oauth_server.context import MockContext
from apiconform.mocks.oauth_server.errors import FlowError, MockOAuthError
from apiconform.mocks.oauth_server.faults import Faults
from apiconform.mocks.oauth_server.flow import Issued
from apiconform.mocks.oauth_server.hosts import HOSTS, is_real_host, public_url
from apiconform.mocks.oauth_server.params import FORM_TYPE, Params, is_form_post
from apiconform.mocks.oauth_server.state import Authorization, PendingConsent, TokenRecord
from apiconform.mocks.oauth_server.users import profile_view

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One path of a provider: ``path`` on its ``role`` host, served by the provider's
    method called ``name``. The first entry of a name is the one URLs point to."""

    name: str
    role: str
    path: str
    methods: tuple[str, ...] = ("GET",)


class Provider(ABC):
    """Base of the provider emulations; subclasses fill the class attributes and hooks."""

    name: ClassVar[ProviderName]
    title: ClassVar[str]
    endpoints: ClassVar[tuple[Endpoint, ...]]
    access_prefix: ClassVar[str] = ""
    refresh_prefix: ClassVar[str] = ""
    # RFC 6749 makes these required; GitHub and Facebook are lenient about them.
    requires_response_type: ClassVar[bool] = True
    requires_scope: ClassVar[bool] = True
    requires_grant_type: ClassVar[bool] = True
    token_requires_redirect_uri: ClassVar[bool] = True
    token_params_in_query: ClassVar[bool] = False
    # How the token endpoint authenticates clients (RFC 6749 section 2.3.1) and which
    # request bodies it reads besides form-encoded ones.
    client_auth_methods: ClassVar[tuple[str, ...]] = ("client_secret_post", "client_secret_basic")
    token_body_types: ClassVar[tuple[str, ...]] = (FORM_TYPE,)
    # How the profile endpoints take the access token (RFC 6750 section 2): the
    # Authorization header with one of these schemes, and where the provider allows it the
    # access_token query parameter or form-body field.
    bearer_schemes: ClassVar[tuple[str, ...]] = ("bearer",)
    token_in_query: ClassVar[bool] = False
    token_in_form: ClassVar[bool] = False
    scope_separator: ClassVar[str] = " "
    oidc: ClassVar[bool] = False
    redirect_fragment: ClassVar[str] = ""

    def __init__(self, ctx: MockContext) -> None:
        self.ctx = ctx

    # routing and URLs -----------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route(
                f"/{self.name}{HOSTS[self.name][ep.role].mock}{ep.path}",
                endpoint=self._handler(ep.name),
                methods=list(ep.methods),
                name=ep.name,
            )
            for ep in self.endpoints
        ]

    def _handler(self, name: str) -> Handler:
        handler: Handler = getattr(self, name)
        return handler

    def endpoint_url(self, base: str, name: str, *, real: bool = False) -> str:
        """The URL of endpoint ``name`` for a mock reached at ``base`` (or on the real host)."""
        ep = next(e for e in self.endpoints if e.name == name)
        return self.host_url(base, ep.role, ep.path, real=real)

    def host_url(self, base: str, role: str, path: str = "", *, real: bool = False) -> str:
        return public_url(
            base=base,
            real=real,
            provider=self.name,
            role=role,
            path=path,
            tenant=self.ctx.config.microsoft_tenant_id,
        )

    def url(self, request: Request, name: str) -> str:
        """The URL of endpoint ``name`` as the client reaching ``request`` should see it."""
        base, real = origin(request)
        return self.endpoint_url(base, name, real=real)

    def endpoint_urls(self, base: str, *, real: bool = False) -> dict[str, str]:
        """Every endpoint's URL, by name."""
        names = dict.fromkeys(ep.name for ep in self.endpoints if ep.name != "consent")
        return {name: self.endpoint_url(base, name, real=real) for name in names}

    def issuer(self, base: str, *, real: bool = False) -> str | None:
        """The ``iss`` of this provider's id_tokens (None when it issues none)."""
        return None

    # the protocol endpoints, the same at every provider ---------------------------------

    async def authorize(self, request: Request) -> Response:
        return await flow.authorize(self, request)

    async def consent(self, request: Request) -> Response:
        return await flow.consent(self, request)

    async def token(self, request: Request) -> Response:
        return await flow.token(self, request)

    # access tokens and profiles -----------------------------------------------------------

    async def bearer(self, request: Request) -> TokenRecord:
        """The live access token the request carries, or :class:`FlowError`.

        The Authorization header counts only with one of ``bearer_schemes``; the
        ``access_token`` query parameter only where ``token_in_query``; an ``access_token``
        field of a form-encoded POST body only where ``token_in_form``.
        """
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = value.strip() if scheme.lower() in self.bearer_schemes else ""
        if not token and self.token_in_query:
            token = Params(request.query_params.multi_items()).get("access_token") or ""
        if not token and self.token_in_form and is_form_post(request):
            form = parse_qsl((await request.body()).decode("utf-8", "replace"))
            token = Params(form).get("access_token") or ""
        if not token:
            raise FlowError("invalid_request", "param_missing", "No access token was given.")
        return self.ctx.store.access_token(token, self.name)

    def faults(self) -> Faults:
        return self.ctx.faults.get(self.name)

    def profile(self, authorization: Authorization) -> MockUser:
        """The user behind ``authorization`` as currently shown (profile faults applied)."""
        user = self.ctx.users.get(self.name, authorization.user_id)
        if user is None:  # pragma: no cover - users are never deleted
            raise FlowError("invalid_grant", "token_unknown", "The user no longer exists.")
        return profile_view(user, self.faults())

    def sign(self, claims: dict[str, object]) -> str:
        return self.ctx.keys.get(self.name).sign(claims)

    # hooks ----------------------------------------------------------------------------

    def refresh_lifetime(self) -> float | None:
        """Seconds a refresh token lives (None: until used or revoked); the config's."""
        return self.ctx.config.lifetimes.refresh_token

    def offline(self, params_scope: tuple[str, ...], access_type: str | None) -> bool:
        """Whether an authorization asks for a refresh token."""
        return True

    def approve_params(self, pending: PendingConsent, code: str) -> dict[str, str]:
        return {"code": code}

    def deny_params(self) -> dict[str, str]:
        return {"error": "access_denied"}

    async def jwks(self, request: Request) -> Response:
        """The provider's public keys (the JWKS endpoint of an OIDC provider)."""
        return JSONResponse(self.ctx.keys.get(self.name).jwks())

    def id_token(
        self, request: Request, authorization: Authorization, access: TokenRecord, *, nonce: bool
    ) -> str:
        """The signed id_token of an OIDC provider (``oidc = True``), which overrides this."""
        raise MockOAuthError(f"{self.name} is not an OpenID Connect provider: it has no id_token")

    @abstractmethod
    def token_response(self, request: Request, issued: Issued) -> Response:
        """The token endpoint's success answer."""

    @abstractmethod
    def token_error(self, request: Request, error: FlowError) -> Response:
        """The token endpoint's error answer, in the provider's shape."""

    @abstractmethod
    def api_error(self, request: Request, error: FlowError) -> Response:
        """A profile endpoint's answer to a missing, unknown or expired access token."""

    async def extra_grant(
        self, request: Request, grant_type: str, params: Params, client: ClientConfig
    ) -> Response:
        """A grant type beyond ``authorization_code`` and ``refresh_token``, requested by the
        authenticated ``client``."""
        raise FlowError(
            "unsupported_grant_type", "grant_unsupported", f"Unsupported grant type: {grant_type}"
        )


def origin(request: Request) -> tuple[str, bool]:
    """The base URL the client used, and whether that was a real provider host."""
    return str(request.base_url), is_real_host(request.url.hostname)
