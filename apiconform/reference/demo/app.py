"""Building the demo application(s)."""

from __future__ import annotations

from typing import Any

from apiconform.reference.demo.controllers import (
    ScopesController,
    UsersController,
    agent_controller,
)
from apiconform.reference.demo.services import AppProbe, RequestProbe, TransientProbe, UserStore
from apiconform.reference.kernel import (
    AppConfig,
    Application,
    ApplicationFactory,
    AppRegistry,
    AppScope,
    Provider,
)

PROVIDERS = [RequestProbe, AppProbe, TransientProbe, UserStore]
CONTROLLERS = [UsersController, ScopesController]


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
        registry=registry,
    )


def agent_name(index: int) -> str:
    return f"agent-{index}"


def create_agents(
    count: int,
    *,
    base: dict[str, Any] | None = None,
    registry: AppRegistry | None = None,
) -> list[Application]:
    """``count`` agent-scoped demo apps on consecutive ports from ``base["port"]``.

    Each has its own id (``agent:agent-<i>``), a route and a provider only it has, and
    ``settings.name`` set to its name, so isolation of routes, providers and config shows.
    """
    base = dict(base or {})
    port = int(base.get("port", 8000))
    apps: list[Application] = []
    try:
        _create_agents(apps, count, base, port, registry)
    except BaseException:
        for app in apps:  # not started yet: unregistering releases them
            app.registry.unregister(app.id)
        raise
    return apps


def _create_agents(
    apps: list[Application],
    count: int,
    base: dict[str, Any],
    port: int,
    registry: AppRegistry | None,
) -> None:
    for index in range(count):
        name = agent_name(index)
        config = {
            **base,
            "port": port + index if port else 0,
            "settings": {**base.get("settings", {}), "name": name},
        }
        apps.append(
            ApplicationFactory.create(
                id=f"agent:{name}",
                scope=AppScope.AGENT,
                config=config,
                controllers=[*CONTROLLERS, agent_controller(name)],
                providers=[*PROVIDERS, Provider(f"agent-role:{name}", value=name)],
                registry=registry,
            )
        )
