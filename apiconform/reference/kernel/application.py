"""An application: its container, routes, cache, config, logger, features and server.

Applications live in one of three scopes:

* ``singleton`` -- the classic process-wide application: at most one per registry;
* ``agent`` -- an isolated application, many per process, each with its own container,
  routes, cache namespace, config and server;
* ``request`` -- like ``agent``, but every request gets fresh instances of all providers,
  singletons included (per-request isolation, e.g. for multi-tenancy).

Create one with :class:`~apiconform.reference.kernel.factory.ApplicationFactory`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from apiconform.common.logs import get_logger
from apiconform.common.serving import Server
from apiconform.errors import ApiconformError
from apiconform.reference.kernel.assembly import Assembly
from apiconform.reference.kernel.cache import CacheBackend, ScopedCache
from apiconform.reference.kernel.config import AppConfig
from apiconform.reference.kernel.context import scope_context
from apiconform.reference.kernel.di import Container
from apiconform.reference.kernel.feature import (
    Contribution,
    ErrorHandler,
    Feature,
    Middleware,
)
from apiconform.reference.kernel.health import HealthIndicator, MetricsSource
from apiconform.reference.kernel.providers import ProviderSpec, register
from apiconform.reference.kernel.registry import AppRegistry

Hook = Callable[["Application"], Awaitable[None] | None]


class AppScope(StrEnum):
    SINGLETON = "singleton"
    AGENT = "agent"
    REQUEST = "request"


class AppStatus(StrEnum):
    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    DISPOSED = "disposed"


class LifecycleError(ApiconformError):
    """A lifecycle call does not fit the application's status."""


class Application:
    """One application. The factory builds it in two steps: the features' contributions
    are adopted (:meth:`adopt`), then :meth:`assemble` creates the FastAPI app, registers
    the controllers through the route transforms and builds the middleware stack.

    Without an error handling feature, FastAPI's own app answers errors its way; with one,
    the stack ends in :class:`RoutingCore`, FastAPI's router without FastAPI's app-level
    middleware, and every exception reaches the feature's error handler."""

    def __init__(
        self,
        *,
        id: str,
        scope: AppScope,
        config: AppConfig,
        registry: AppRegistry,
        cache_backend: CacheBackend,
        owns_cache_backend: bool,
        parent: Application | None = None,
        features: Sequence[Feature] = (),
    ) -> None:
        self.id = id
        self.scope = scope
        self.config = config
        self.registry = registry
        self.parent = parent
        self.features = tuple(features)
        self.status = AppStatus.CREATED
        self.scope_id = f"scope:app:{id}"
        parent_container = parent.container if parent is not None else None
        self.container: Container = (
            parent_container.create_scope(self.scope_id)
            if parent_container is not None
            else Container(name=self.scope_id)
        )
        self.cache = ScopedCache(
            cache_backend,
            id,
            default_ttl=config.cache.default_ttl,
            max_entries=config.cache.max_entries,
        )
        self._owns_cache_backend = owns_cache_backend
        self.logger = get_logger("apiconform.app", app_id=id, scope_id=self.scope_id)
        self.error_handler: ErrorHandler | None = None
        self.controllers: list[type[Any]] = []
        self.health_indicators: list[HealthIndicator] = []
        self.metrics_sources: list[MetricsSource] = []
        self.http: FastAPI | None = None
        self.asgi: ASGIApp = self._not_assembled
        self.assembly = Assembly(self)
        self._user_hooks: dict[str, list[Hook]] = {"start": [], "stop": []}
        self._server: Server | None = None
        self._lifecycle = asyncio.Lock()
        self.requests_cut = 0
        """Requests cancelled at the last stop because they outlived the drain timeout."""

    @classmethod
    def create(cls, **options: Any) -> Application:
        """Backward-compatible creation: without ``scope`` the application is a singleton."""
        from apiconform.reference.kernel.factory import ApplicationFactory

        return ApplicationFactory.create(**options)

    # -- composition ------------------------------------------------------------------

    @property
    def recreates_providers_per_request(self) -> bool:
        return self.scope is AppScope.REQUEST

    async def _not_assembled(self, scope: Any, receive: Any, send: Any) -> None:
        raise LifecycleError(f"app {self.id!r} is not assembled yet")

    def adopt(self, feature: str, contribution: Contribution) -> None:
        """Take in what ``feature`` contributes (see :class:`Assembly`)."""
        self.assembly.adopt(feature, contribution)

    def assemble(self, controllers: Iterable[type[Any]]) -> None:
        """Create the FastAPI app, register the controllers, build the stack."""
        self.assembly.assemble(controllers)

    @property
    def middleware(self) -> list[Middleware]:
        """The middleware of the stack (unsorted), the kernel's own included."""
        return list(self.assembly.middleware)

    def add_controller(self, cls: type[Any]) -> None:
        """Register controller ``cls`` (after assembly): its routes go through the route
        transforms and get their guards, like those registered at creation."""
        self.assembly.add_controller(cls)

    def add_provider(self, spec: ProviderSpec) -> None:
        register(self.container, spec)

    def on_start(self, hook: Hook) -> Hook:
        """Run ``hook(app)`` when this application starts (and only this one)."""
        self._user_hooks["start"].append(hook)
        return hook

    def on_stop(self, hook: Hook) -> Hook:
        self._user_hooks["stop"].append(hook)
        return hook

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def address(self) -> str | None:
        server = self._server
        if server is None or not server.running:
            return None
        host = f"[{server.host}]" if ":" in server.host else server.host
        return f"http://{host}:{server.port}"

    @property
    def port(self) -> int | None:
        return self._server.port if self._server is not None else None

    async def start(self, host: str | None = None, port: int | None = None) -> None:
        """Serve this application on ``host:port`` (its config's by default; port 0 picks a
        free one). The features' start hooks run first, then the application's own. A taken
        port raises :class:`PortInUseError` naming a free one."""
        async with self._lifecycle:
            if self.status not in (AppStatus.CREATED, AppStatus.STOPPED):
                raise LifecycleError(f"app {self.id!r} cannot start while {self.status}")
            self.status = AppStatus.STARTING
            try:
                self._server = Server(
                    self.asgi,
                    host or self.config.host,
                    self.config.port if port is None else port,
                    drain_timeout=self.config.drain_timeout,
                )
                # the server task inherits this context, so its own log lines carry the app id
                with scope_context(self):
                    await run_hooks(
                        self, [*self.assembly.hooks["start"], *self._user_hooks["start"]]
                    )
                    await self._server.start()
            except BaseException:
                if self._server is not None:
                    await self._server.stop(0)
                self._server = None
                self.status = AppStatus.STOPPED
                raise
            self.status = AppStatus.RUNNING
            self.logger.info("application started", address=self.address, scope=str(self.scope))

    async def stop(self, timeout: float | None = None) -> None:
        """Stop serving; in-flight requests get up to ``timeout`` seconds (the config's
        ``drain_timeout`` by default). Other applications keep running."""
        async with self._lifecycle:
            await self._stop(timeout)

    async def _stop(self, timeout: float | None) -> None:
        if self.status is not AppStatus.RUNNING or self._server is None:
            return
        self.status = AppStatus.STOPPING
        try:
            with scope_context(self):
                await run_hooks(self, self.assembly.hooks["stopping"])
            self.requests_cut = await self._server.stop(timeout)
            with scope_context(self):
                await run_hooks(
                    self, [*self._user_hooks["stop"], *reversed(self.assembly.hooks["stop"])]
                )
        finally:
            self._server = None
            self.status = AppStatus.STOPPED
            self.logger.info("application stopped")

    async def dispose(self) -> None:
        """Stop, dispose providers, clear this app's cache entries, run the features'
        dispose hooks and unregister. Each step runs even when an earlier one fails;
        failures are logged."""
        async with self._lifecycle:
            if self.status is AppStatus.DISPOSED:
                return
            try:
                await self._stop(None)
            except Exception as exc:
                self.logger.error("stop failed during dispose", error=repr(exc), exc_info=exc)
            try:
                await self.container.dispose()
                await self._release_cache()
                for hook in reversed(self.assembly.hooks["dispose"]):
                    try:
                        await run_hooks(self, [hook])
                    except Exception as exc:
                        self.logger.error("dispose hook failed", error=repr(exc), exc_info=exc)
            finally:
                self.registry.unregister(self.id)
                self.status = AppStatus.DISPOSED
                for hooks in (*self.assembly.hooks.values(), *self._user_hooks.values()):
                    hooks.clear()
                self.logger.info("application disposed")

    async def _release_cache(self) -> None:
        try:
            await self.cache.clear()
            if self._owns_cache_backend:
                await self.cache.backend.close()
        except Exception as exc:
            self.logger.error("cache cleanup failed", error=repr(exc), exc_info=exc)

    def __repr__(self) -> str:
        return f"<Application {self.id!r} scope={self.scope} status={self.status}>"


async def run_hooks(app: Application, hooks: Iterable[Hook]) -> None:
    for hook in hooks:
        result = hook(app)
        if result is not None:
            await result
