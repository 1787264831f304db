"""Building the demo application(s)."""

from __future__ import annotations

from typing import Any

from apiconform.errors import ConfigError
from apiconform.reference.auth import Auth
from apiconform.reference.demo.controllers import (
    ScopesController,
    UsersController,
    agent_controller,
)
from apiconform.reference.demo.errors import DatabaseController, Downstream, ErrorsController
from apiconform.reference.demo.filter_probes import (
    GLOBAL_FILTERS,
    FilteredController,
    UnfilteredController,
)
from apiconform.reference.demo.observability import (
    OBSERVABILITY_PROVIDERS,
    ExternalApiIndicator,
    ObservabilityController,
)
from apiconform.reference.demo.recovery import (
    BreakerController,
    GuardedDownstream,
    RetryController,
)
from apiconform.reference.demo.services import AppProbe, RequestProbe, TransientProbe
from apiconform.reference.demo.throttle import ThrottleController, demo_throttling
from apiconform.reference.demo.versions import (
    ApiInfoController,
    ChangelogController,
    DemoVersioningConfig,
    LegacyController,
    UsersV1Controller,
)
from apiconform.reference.errors import ErrorHandling
from apiconform.reference.kernel import (
    AppConfig,
    Application,
    ApplicationFactory,
    AppRegistry,
    AppScope,
    Feature,
    Provider,
    ProviderSpec,
)
from apiconform.reference.observability import Observability
from apiconform.reference.store import Store
from apiconform.reference.store.users import UserRepository
from apiconform.reference.versioning import Versioning

PROVIDERS: list[ProviderSpec] = [
    RequestProbe,
    AppProbe,
    TransientProbe,
    UserRepository,
    Downstream,
    GuardedDownstream,
    *OBSERVABILITY_PROVIDERS,
]
CONTROLLERS = [
    UsersController,
    UsersV1Controller,
    LegacyController,
    ApiInfoController,
    ChangelogController,
    ScopesController,
    ErrorsController,
    DatabaseController,
    FilteredController,
    UnfilteredController,
    RetryController,
    BreakerController,
    ObservabilityController,
    ThrottleController,
]


def demo_features() -> list[Feature]:
    """The features of the demo app, fresh for each application."""
    return [
        Observability(indicators=[ExternalApiIndicator]),
        ErrorHandling(filters=GLOBAL_FILTERS),
        Store(),
        Auth(),
        demo_throttling(),
        Versioning(config_model=DemoVersioningConfig),
    ]


def create_demo_app(
    *,
    id: str = "demo",
    scope: AppScope | str = AppScope.SINGLETON,
    config: AppConfig | dict[str, Any] | None = None,
    registry: AppRegistry | None = None,
) -> Application:
    """The demo application with every probe route."""
    return ApplicationFactory.create(
        id=id,
        scope=scope,
        config=config,
        controllers=CONTROLLERS,
        providers=PROVIDERS,
        features=demo_features(),
        registry=registry,
    )


def agent_name(index: int) -> str:
    return f"agent-{index}"


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` applied; nested tables merge key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def create_agents(
    count: int,
    *,
    base: dict[str, Any] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    registry: AppRegistry | None = None,
) -> list[Application]:
    """``count`` agent-scoped demo apps on consecutive ports from ``base["port"]``.

    Each has its own id (``agent:agent-<i>``), a route and a provider only it has, and
    ``settings.name`` set to its name, so isolation of routes, providers and config shows.
    ``overrides`` maps an agent name to config values only that agent gets.
    """
    base = dict(base or {})
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {agent_name(i) for i in range(count)})
    if unknown:
        raise ConfigError(
            f"config for unknown agent {unknown[0]!r}: there are {count} agents, "
            f"agent-0 to agent-{count - 1}"
        )
    port = int(base.get("port", 8000))
    apps: list[Application] = []
    try:
        _create_agents(apps, count, base, overrides, port, registry)
    except BaseException:
        for app in apps:  # not started yet: unregistering releases them
            app.registry.unregister(app.id)
        raise
    return apps


def _create_agents(
    apps: list[Application],
    count: int,
    base: dict[str, Any],
    overrides: dict[str, dict[str, Any]],
    port: int,
    registry: AppRegistry | None,
) -> None:
    for index in range(count):
        name = agent_name(index)
        config = merge(
            merge(base, {"port": port + index if port else 0, "settings": {"name": name}}),
            overrides.get(name, {}),
        )
        apps.append(
            ApplicationFactory.create(
                id=f"agent:{name}",
                scope=AppScope.AGENT,
                config=config,
                controllers=[*CONTROLLERS, agent_controller(name)],
                providers=[*PROVIDERS, Provider(f"agent-role:{name}", value=name)],
                features=demo_features(),
                registry=registry,
            )
        )
