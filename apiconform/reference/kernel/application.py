"""Applications and the factory that creates them in one of three scopes.

* ``singleton`` -- the classic process-wide application: at most one per registry;
* ``agent`` -- an isolated application, many per process, each with its own container,
  routes, cache namespace, config and server;
* ``request`` -- like ``agent``, but every request gets fresh instances of all providers,
  singletons included (per-request isolation, e.g. for multi-tenancy).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from apiconform.common.logs import get_logger
from apiconform.common.serving import Server
from apiconform.errors import ApiconformError, ConfigError
from apiconform.reference.errors.pipeline import ExceptionPipeline, reporters_from_config
from apiconform.reference.kernel.cache import CacheBackend, RedisBackend, ScopedCache
from apiconform.reference.kernel.config import AppConfig, validate_config
from apiconform.reference.kernel.context import scope_context
from apiconform.reference.kernel.controllers import build_router, controller_lifetime
from apiconform.reference.kernel.di import Container, DIError, Lifetime, Token
from apiconform.reference.kernel.registry import AppRegistry, DuplicateAppError
from apiconform.reference.kernel.stack import build_stack

Hook = Callable[["Application"], Awaitable[None] | None]
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,127}")


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


@dataclass(frozen=True)
class Provider:
    """An explicit registration: ``Provider(token, use=factory_or_class, lifetime=...)``,
    or ``Provider(token, value=instance)``."""

    token: Token
    use: Any = None
    lifetime: Lifetime | str | None = None
    value: Any = None


ProviderSpec = type[Any] | Provider


class Application:
    """One application: its container, routes, cache, config, logger and server.

    Create it with :meth:`ApplicationFactory.create` (or :meth:`Application.create`).
    """

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
    ) -> None:
        self.id = id
        self.scope = scope
        self.config = config
        self.registry = registry
        self.parent = parent
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
        self.http = FastAPI(title=f"apiconform: {id}", redoc_url=None)
        self.errors = ExceptionPipeline(self)
        self.errors.reporters.extend(reporters_from_config(self))
        self.asgi: ASGIApp = build_stack(self)
        self.controllers: list[type[Any]] = []
        self._server: Server | None = None
        self._on_start: list[Hook] = []
        self._on_stop: list[Hook] = []
        self._lifecycle = asyncio.Lock()

    @classmethod
    def create(cls, **options: Any) -> Application:
        """Backward-compatible creation: without ``scope`` the application is a singleton."""
        return ApplicationFactory.create(**options)

    # -- composition ------------------------------------------------------------------

    @property
    def recreates_providers_per_request(self) -> bool:
        return self.scope is AppScope.REQUEST

    def add_controller(self, cls: type[Any]) -> None:
        self.container.register(cls, cls, controller_lifetime(cls))
        self.http.include_router(build_router(cls))
        self.controllers.append(cls)

    def add_provider(self, spec: ProviderSpec) -> None:
        if isinstance(spec, Provider):
            if spec.use is None:
                self.container.register_value(spec.token, spec.value)
            else:
                self.container.register(spec.token, spec.use, spec.lifetime)
        else:
            self.container.register(spec)

    def on_start(self, hook: Hook) -> Hook:
        """Run ``hook(app)`` when this application starts (and only this one)."""
        self._on_start.append(hook)
        return hook

    def on_stop(self, hook: Hook) -> Hook:
        self._on_stop.append(hook)
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
        free one). A taken port raises :class:`PortInUseError` naming a free one."""
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
                    await _run_hooks(self, self._on_start)
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
            await self._server.stop(timeout)
            with scope_context(self):
                await _run_hooks(self, self._on_stop)
        finally:
            self._server = None
            self.status = AppStatus.STOPPED
            self.logger.info("application stopped")

    async def dispose(self) -> None:
        """Stop, dispose providers, clear this app's cache entries and unregister. Each step
        runs even when an earlier one fails; failures are logged."""
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
                await self.errors.aclose()
            finally:
                self.registry.unregister(self.id)
                self.status = AppStatus.DISPOSED
                self._on_start.clear()
                self._on_stop.clear()
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


async def _run_hooks(app: Application, hooks: Iterable[Hook]) -> None:
    for hook in hooks:
        result = hook(app)
        if result is not None:
            await result


class ApplicationFactory:
    """Creates applications in a scope, validates their config and registers them."""

    @staticmethod
    def create(
        *,
        id: str | None = None,
        scope: AppScope | str = AppScope.SINGLETON,
        config: AppConfig | dict[str, Any] | None = None,
        controllers: Sequence[type[Any]] = (),
        providers: Sequence[ProviderSpec] = (),
        filters: Sequence[object] = (),
        registry: AppRegistry | None = None,
        parent: Application | None = None,
        cache_backend: CacheBackend | None = None,
    ) -> Application:
        """Create and register an application.

        ``filters`` are global exception filters (instances, or classes resolved from the
        app's container), tried before the built-in ones.

        Raises :class:`ConfigError` for an unknown scope, a malformed id or an invalid
        config (naming the app id and field), and :class:`DuplicateAppError` when the id, or
        for ``singleton`` any other singleton, is already registered.
        """
        registry = registry if registry is not None else AppRegistry.default()
        app_scope = _scope(scope)
        app_id = id or ("app" if app_scope is AppScope.SINGLETON else "")
        if not _ID.fullmatch(app_id):
            raise ConfigError(
                f"invalid application id {app_id!r}: use 1-128 characters of letters, digits "
                "and ':._-', starting with a letter or digit"
            )
        checked = validate_config(app_id, config)
        if app_scope is AppScope.SINGLETON:
            for info in registry.get_all(scope=AppScope.SINGLETON):
                if info.id != app_id:
                    raise DuplicateAppError(
                        f"a singleton application already exists ({info.id!r}, status="
                        f"{info.status}); use scope='agent' for more applications in one process"
                    )
        backend, owned = _cache_backend(checked, registry, cache_backend)
        app = Application(
            id=app_id,
            scope=app_scope,
            config=checked,
            registry=registry,
            cache_backend=backend,
            owns_cache_backend=owned,
            parent=parent,
        )
        registry.register(app)
        try:
            app.container.register_value(Application, app)
            app.container.register_value(AppConfig, checked)
            app.container.register_value(ScopedCache, app.cache)
            for provider in providers:
                app.add_provider(provider)
            app.errors.filters.extend(filters)
            try:
                app.errors.prepare()
            except DIError as exc:
                raise ConfigError(
                    f"app {app_id!r}: an exception filter cannot be built: {exc}"
                ) from None
            for cls in controllers:
                app.add_controller(cls)
        except BaseException:
            registry.unregister(app_id)
            raise
        return app


def _scope(value: AppScope | str) -> AppScope:
    try:
        return AppScope(value)
    except ValueError:
        valid = ", ".join(s.value for s in AppScope)
        raise ConfigError(f"invalid application scope {value!r}; valid scopes: {valid}") from None


def _cache_backend(
    config: AppConfig, registry: AppRegistry, given: CacheBackend | None
) -> tuple[CacheBackend, bool]:
    """The backend for an app: a given one, a Redis client of its own, or the registry's
    shared in-memory store (shared so that isolation rests on the key prefix)."""
    if given is not None:
        return given, False
    if config.cache.backend == "redis" and config.cache.redis_url:
        return RedisBackend.from_url(config.cache.redis_url), True
    return registry.shared_memory_cache(), False
