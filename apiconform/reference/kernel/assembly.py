"""Putting an application together from its features' contributions.

An :class:`Assembly` collects what the features contribute (:meth:`Assembly.adopt`), then
creates the FastAPI app, registers the controllers through the route transforms, gives
each route its guards and builds the middleware stack (:meth:`Assembly.assemble`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from apiconform.errors import ConfigError
from apiconform.reference.kernel.controllers import (
    controller_lifetime,
    endpoint_of,
    route_definitions,
)
from apiconform.reference.kernel.feature import (
    Contribution,
    GuardFactory,
    Layer,
    Middleware,
    RouteDef,
    RouteTransform,
)
from apiconform.reference.kernel.middleware import RequestScopeMiddleware
from apiconform.reference.kernel.routing import KernelRoute, RoutingCore
from apiconform.reference.kernel.stack import build_stack

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application, Hook

HOOKS = ("start", "stopping", "stop", "dispose")


class AssemblyError(ConfigError):
    """A feature contribution does not fit the application."""


class Assembly:
    """What the features of one application contributed, and the assembled result."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.middleware: list[Middleware] = [
            Middleware(Layer.SCOPE, self._scope_middleware, "request scope")
        ]
        self.controllers: list[type[Any]] = []
        self.http_options: dict[str, Any] = {"title": f"apiconform: {app.id}", "redoc_url": None}
        self.transforms: list[RouteTransform] = []
        self.guards: list[GuardFactory] = []
        self.checks: list[Callable[[Application], None]] = []
        self.hooks: dict[str, list[Hook]] = {name: [] for name in HOOKS}
        self.assembled = False

    def _scope_middleware(self, inner: ASGIApp) -> ASGIApp:
        return RequestScopeMiddleware(inner, application=self.app)

    def adopt(self, feature: str, contribution: Contribution) -> None:
        """Take in what ``feature`` contributes (before :meth:`assemble`)."""
        app = self.app
        if self.assembled:
            raise AssemblyError(f"app {app.id!r}: feature {feature!r} set up after assembly")
        if contribution.error_handler is not None:
            if app.error_handler is not None:
                raise AssemblyError(
                    f"app {app.id!r}: feature {feature!r} installs a second error handler"
                )
            app.error_handler = contribution.error_handler
        for key, value in contribution.http_options.items():
            if key != "title" and self.http_options.get(key, value) != value:
                raise AssemblyError(
                    f"app {app.id!r}: feature {feature!r} sets http option {key!r} "
                    "that another feature set differently"
                )
            self.http_options[key] = value
        for spec in contribution.providers:
            app.add_provider(spec)
        app.health_indicators.extend(contribution.health_indicators)
        app.metrics_sources.extend(contribution.metrics)
        self.middleware.extend(contribution.middleware)
        self.transforms.extend(contribution.route_transforms)
        self.guards.extend(contribution.guards)
        self.controllers.extend(contribution.controllers)
        self.checks.extend(contribution.on_assembled)
        for name in HOOKS:
            self.hooks[name].extend(getattr(contribution, f"on_{name}"))

    def assemble(self, controllers: Iterable[type[Any]]) -> None:
        """Create the FastAPI app, register the features' then the given controllers, run
        the features' checks and build the middleware stack."""
        app = self.app
        app.http = FastAPI(**self.http_options)
        self.assembled = True
        for cls in [*self.controllers, *controllers]:
            self.add_controller(cls)
        for check in self.checks:
            check(app)
        # with an error handler, the kernel's layers replace FastAPI's app-level ones
        core: ASGIApp = app.http if app.error_handler is None else RoutingCore(app.http)
        app.asgi = build_stack(core, self.middleware)

    def add_controller(self, cls: type[Any]) -> None:
        """Register controller ``cls``: its class in the container, its routes (each through
        the route transforms) in the FastAPI app, each with its guards."""
        app = self.app
        if app.http is None:
            raise AssemblyError(f"app {app.id!r} is not assembled yet")
        app.container.register(cls, cls, controller_lifetime(cls))
        for definition in route_definitions(cls):
            for route in self.transformed(definition):
                self._add_route(app.http, route)
        app.controllers.append(cls)

    def transformed(self, definition: RouteDef) -> list[RouteDef]:
        routes = [definition]
        for transform in self.transforms:
            routes = [out for route in routes for out in transform(route)]
        return routes

    def _add_route(self, http: FastAPI, definition: RouteDef) -> None:
        router = http.router
        router.add_api_route(
            definition.path,
            endpoint_of(definition.controller, definition.function),
            methods=[definition.http_method],
            name=definition.name,
            route_class_override=KernelRoute,
            **definition.options,
        )
        route = router.routes[-1]
        assert isinstance(route, KernelRoute)
        route.definition = definition
        route.guards = tuple(
            guard for guard in (make(definition) for make in self.guards) if guard is not None
        )
