"""ApplicationFactory: creates applications in a scope, with their features, validates
their config and registers them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from apiconform.errors import ConfigError
from apiconform.reference.kernel.application import Application, AppScope
from apiconform.reference.kernel.cache import CacheBackend, RedisBackend, ScopedCache
from apiconform.reference.kernel.config import AppConfig, validate_config
from apiconform.reference.kernel.feature import Feature
from apiconform.reference.kernel.providers import ProviderSpec
from apiconform.reference.kernel.registry import AppRegistry, DuplicateAppError

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,127}")
_SECTION = re.compile(r"[a-z][a-z0-9_]{0,63}")


class ApplicationFactory:
    """Creates applications in a scope, validates their config and registers them."""

    @staticmethod
    def create(
        *,
        id: str | None = None,
        scope: AppScope | str = AppScope.SINGLETON,
        config: AppConfig | Mapping[str, Any] | None = None,
        controllers: Sequence[type[Any]] = (),
        providers: Sequence[ProviderSpec] = (),
        features: Sequence[Feature] = (),
        registry: AppRegistry | None = None,
        parent: Application | None = None,
        cache_backend: CacheBackend | None = None,
    ) -> Application:
        """Create and register an application.

        ``features`` plug the proposals in (error handling, the store, ...): each validates
        its own config section and contributes providers, controllers, middleware and hooks.
        ``providers`` are registered after the features' own, so they may replace them.

        Raises :class:`ConfigError` for an unknown scope, a malformed id, an invalid config
        (naming the app id and field) or a feature that cannot be set up, and
        :class:`DuplicateAppError` when the id, or for ``singleton`` any other singleton,
        is already registered.
        """
        registry = registry if registry is not None else AppRegistry.default()
        app_scope = _scope(scope)
        app_id = id or ("app" if app_scope is AppScope.SINGLETON else "")
        if not _ID.fullmatch(app_id):
            raise ConfigError(
                f"invalid application id {app_id!r}: use 1-128 characters of letters, digits "
                "and ':._-', starting with a letter or digit"
            )
        _check_features(app_id, features)
        checked = validate_config(app_id, config, features)
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
            features=features,
        )
        registry.register(app)
        try:
            app.container.register_value(Application, app)
            app.container.register_value(AppConfig, checked)
            app.container.register_value(ScopedCache, app.cache)
            for feature in features:
                section = checked.section(feature.name, feature.config_model)
                app.container.register_value(type(section), section)
                app.adopt(feature.name, feature.setup(app, section))
            for provider in providers:
                app.add_provider(provider)
            app.assemble(controllers)
        except BaseException:
            registry.unregister(app_id)
            raise
        return app


def _check_features(app_id: str, features: Sequence[Feature]) -> None:
    seen: set[str] = set()
    for feature in features:
        name = getattr(feature, "name", None)
        if not isinstance(name, str) or not _SECTION.fullmatch(name):
            raise ConfigError(f"app {app_id!r}: feature {feature!r} has no valid name")
        if name in AppConfig.model_fields:
            raise ConfigError(f"app {app_id!r}: feature {name!r} clashes with a kernel setting")
        if name in seen:
            raise ConfigError(f"app {app_id!r}: feature {name!r} is given twice")
        seen.add(name)


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
