"""The reference kernel: applications in scopes, DI, controllers, context, logging, cache."""

from apiconform.common.serving import PortInUseError, ServerError
from apiconform.reference.kernel.application import (
    Application,
    ApplicationFactory,
    AppScope,
    AppStatus,
    LifecycleError,
    Provider,
)
from apiconform.reference.kernel.cache import MemoryBackend, RedisBackend, ScopedCache
from apiconform.reference.kernel.config import AppConfig, CacheConfig
from apiconform.reference.kernel.context import (
    get_correlation_id,
    get_current_application,
    get_current_scope,
    run_with_application_scope,
)
from apiconform.reference.kernel.controllers import controller, delete, get, patch, post, put
from apiconform.reference.kernel.di import (
    CircularDependencyError,
    Container,
    DIError,
    Inject,
    Lifetime,
    LifetimeError,
    UnknownTokenError,
    scope,
    service,
)
from apiconform.reference.kernel.registry import AppInfo, AppRegistry, DuplicateAppError

__all__ = [
    "AppConfig",
    "AppInfo",
    "AppRegistry",
    "AppScope",
    "AppStatus",
    "Application",
    "ApplicationFactory",
    "CacheConfig",
    "CircularDependencyError",
    "Container",
    "DIError",
    "DuplicateAppError",
    "Inject",
    "LifecycleError",
    "Lifetime",
    "LifetimeError",
    "MemoryBackend",
    "PortInUseError",
    "Provider",
    "RedisBackend",
    "ScopedCache",
    "ServerError",
    "UnknownTokenError",
    "controller",
    "delete",
    "get",
    "get_correlation_id",
    "get_current_application",
    "get_current_scope",
    "patch",
    "post",
    "put",
    "run_with_application_scope",
    "scope",
    "service",
]
