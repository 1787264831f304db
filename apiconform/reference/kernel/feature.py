"""The feature seam: how a proposal plugs into the kernel without the kernel knowing it.

A :class:`Feature` has a name (also the name of its config section), a pydantic model for
that section, and ``setup(app, config)``, which returns a :class:`Contribution`: providers,
controllers, ASGI middleware each with a declared :class:`Layer`, the application's error
handler, route transforms and route guards, health indicators and metrics sources (see
:mod:`apiconform.reference.kernel.health`), options for the FastAPI app, and assembly,
start, stop and dispose hooks. The kernel collects the contributions of an application's
features in the order given and builds the middleware stack once, in
:func:`apiconform.reference.kernel.stack.build_stack`, sorted by layer, outermost first::

    telemetry -> scope + correlation (kernel) -> errors -> guards -> versioning -> routing

Anchors for the shape: Litestar's ``InitPluginProtocol.on_app_init`` and Starlette's
``Middleware`` list with ``build_middleware_stack``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application, Hook
    from apiconform.reference.kernel.health import HealthIndicator, MetricsSource
    from apiconform.reference.kernel.providers import ProviderSpec


class Layer(IntEnum):
    """Where a middleware sits in the stack; a lower value is further out."""

    TELEMETRY = 100
    SCOPE = 200
    ERRORS = 300
    GUARDS = 400
    VERSIONING = 500
    ROUTING = 600


@dataclass(frozen=True)
class Middleware:
    """A pure-ASGI middleware: ``build(inner)`` returns the app that wraps ``inner``.

    ``order`` places middleware of one layer (lower is further out); equal orders keep
    the order the features were given in.
    """

    layer: Layer
    build: Callable[[ASGIApp], ASGIApp]
    name: str
    order: int = 0


@dataclass(frozen=True)
class RouteDef:
    """A controller route before it is registered: transforms may rewrite or multiply it
    (versioning registers one route per version), guards are built from it."""

    controller: type[Any]
    function: Callable[..., Any]
    http_method: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.controller.__name__}.{self.function.__name__}"

    def replace(self, **changes: Any) -> RouteDef:
        """A copy with ``changes`` (its own copy of ``options`` unless given)."""
        changes.setdefault("options", dict(self.options))
        return dataclasses.replace(self, **changes)


RouteTransform = Callable[[RouteDef], Iterable[RouteDef]]
Guard = Callable[[Request], Awaitable[None]]
"""Runs after routing, before the handler; raising an exception refuses the request."""
GuardFactory = Callable[[RouteDef], Guard | None]
"""Builds a route's guard once, when the route is registered; None: nothing to guard."""


@runtime_checkable
class ErrorHandler(Protocol):
    """What the kernel knows of error handling: an exception in, a response out. It must
    not raise. The request's scope holds the matched route (``scope["route"]``, whose
    ``definition`` is its :class:`RouteDef`) when routing got that far."""

    async def handle(self, exc: Exception, request: Request) -> Response: ...


@dataclass
class Contribution:
    """What one feature adds to one application."""

    providers: list[ProviderSpec] = field(default_factory=list)
    controllers: list[type[Any]] = field(default_factory=list)
    middleware: list[Middleware] = field(default_factory=list)
    error_handler: ErrorHandler | None = None
    route_transforms: list[RouteTransform] = field(default_factory=list)
    guards: list[GuardFactory] = field(default_factory=list)
    health_indicators: list[HealthIndicator] = field(default_factory=list)
    """Checks of the dependencies the feature owns (readiness and status use them)."""
    metrics: list[MetricsSource] = field(default_factory=list)
    """What the feature counts, exported by the metrics endpoint when there is one."""
    http_options: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the application's ``FastAPI(...)`` (``openapi_url``, say)."""
    on_assembled: list[Callable[[Application], None]] = field(default_factory=list)
    """Once every provider, controller and route is registered: checks that need the whole
    application (a filter that cannot be built, two handlers for one route) raise here, so
    the application is never created."""
    on_start: list[Hook] = field(default_factory=list)
    """Before the server accepts connections (features in order, then the app's own)."""
    on_stopping: list[Hook] = field(default_factory=list)
    """When a stop begins, before in-flight requests drain (readiness turns 503 here)."""
    on_stop: list[Hook] = field(default_factory=list)
    """After the server stopped (features in reverse order)."""
    on_dispose: list[Hook] = field(default_factory=list)
    """When the application is disposed, after its providers (features in reverse order)."""


@runtime_checkable
class Feature(Protocol):
    """A proposal's plug-in. ``name`` is also its config section; ``config_model`` (a
    pydantic model with ``extra="forbid"``) validates that section, defaults included."""

    @property
    def name(self) -> str: ...

    @property
    def config_model(self) -> type[BaseModel]: ...

    def setup(self, app: Application, config: Any) -> Contribution: ...
