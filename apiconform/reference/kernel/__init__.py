"""The reference kernel: applications in scopes, DI, controllers, context, logging, cache,
and the feature seam through which the proposals plug in."""

from apiconform.common.serving import PortInUseError, ServerError
from apiconform.reference.kernel.application import (
    Application,
    AppScope,
    AppStatus,
    LifecycleError,
)
from apiconform.reference.kernel.cache import MemoryBackend, RedisBackend, ScopedCache
from apiconform.reference.kernel.config import AppConfig, CacheConfig, InvalidConfig
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
from apiconform.reference.kernel.factory import ApplicationFactory
from apiconform.reference.kernel.feature import (
    Contribution,
    ErrorHandler,
    Feature,
    Layer,
    Middleware,
    RouteDef,
)
from apiconform.reference.kernel.health import (
    HealthIndicator,
    HealthResult,
    HealthStatus,
    MetricSample,
    MetricsSource,
)
from apiconform.reference.kernel.providers import Provider, ProviderSpec
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
    "Contribution",
    "DIError",
    "DuplicateAppError",
    "ErrorHandler",
    "Feature",
    "HealthIndicator",
    "HealthResult",
    "HealthStatus",
    "Inject",
    "InvalidConfig",
    "Layer",
    "LifecycleError",
    "Lifetime",
    "LifetimeError",
    "MemoryBackend",
    "MetricSample",
    "MetricsSource",
    "Middleware",
    "PortInUseError",
    "Provider",
    "ProviderSpec",
    "RedisBackend",
    "RouteDef",
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
