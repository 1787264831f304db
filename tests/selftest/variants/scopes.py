"""Variants of the demo that break add-application-scopes, one defect each."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Body, Request
from fastapi.responses import PlainTextResponse

from apiconform.common import logs as kernel_logging
from apiconform.common import serving as kernel_server
from apiconform.common.serving import ServerError
from apiconform.reference.demo import app as demo_app
from apiconform.reference.demo import controllers, services
from apiconform.reference.demo.controllers import LogLine
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppScope,
    Lifetime,
    Provider,
    controller,
    get,
    get_correlation_id,
    get_current_scope,
)
from apiconform.reference.kernel import cache as kernel_cache
from apiconform.reference.kernel import context as kernel_context
from apiconform.reference.kernel import middleware as kernel_middleware
from apiconform.reference.kernel.di import _SERVICE_ATTR

Agents = Callable[..., list[Application]]


def _agents(
    *,
    routes_of: Callable[[str, list[str]], list[type[Any]]] | None = None,
    providers_of: Callable[[str, list[str]], list[Any]] | None = None,
    settings_of: Callable[[str], dict[str, Any]] | None = None,
    extra_controllers: list[type[Any]] | None = None,
) -> Agents:
    """A create_agents replacement whose per-agent routes/providers/settings can leak."""

    def create_agents(count: int, *, base: dict[str, Any] | None = None, **_: Any) -> list[Any]:
        base = dict(base or {})
        port = int(base.get("port", 8000))
        names = [demo_app.agent_name(i) for i in range(count)]
        apps = []
        for index, name in enumerate(names):
            routes = (routes_of or (lambda n, _: [controllers.agent_controller(n)]))(name, names)
            extras = (providers_of or (lambda n, _: [Provider(f"agent-role:{n}", value=n)]))(
                name, names
            )
            settings = (settings_of or (lambda n: {"name": n}))(name)
            apps.append(
                ApplicationFactory.create(
                    id=f"agent:{name}",
                    scope=AppScope.AGENT,
                    config={**base, "port": port + index if port else 0, "settings": settings},
                    controllers=[*demo_app.CONTROLLERS, *routes, *(extra_controllers or [])],
                    providers=[*demo_app.PROVIDERS, *extras],
                )
            )
        return apps

    return create_agents


def shared_cache() -> None:
    """Cache keys without the app's namespace: apps read each other's entries."""
    kernel_cache.ScopedCache.key = lambda self, key: key  # type: ignore[method-assign]


def scoped_as_singleton() -> None:
    """The request-scoped probe registered as a singleton."""
    setattr(services.RequestProbe, _SERVICE_ATTR, Lifetime.SINGLETON)


def transient_as_scoped() -> None:
    """The transient probe registered as scoped: one instance per request."""
    setattr(services.TransientProbe, _SERVICE_ATTR, Lifetime.SCOPED)


def shared_singletons() -> None:
    """One singleton instance handed to every app of the process."""
    shared = services.AppProbe()
    demo_app.PROVIDERS[demo_app.PROVIDERS.index(services.AppProbe)] = Provider(
        services.AppProbe, value=shared
    )


def leaky_providers() -> None:
    """Every agent registers every agent's role provider."""
    demo_app.create_agents = _agents(
        providers_of=lambda _, names: [Provider(f"agent-role:{n}", value=n) for n in names]
    )


def leaky_routes() -> None:
    """Every agent mounts every agent's routes."""
    demo_app.create_agents = _agents(
        routes_of=lambda _, names: [controllers.agent_controller(n) for n in names]
    )


def shared_config() -> None:
    """Every agent gets the first agent's settings."""
    demo_app.create_agents = _agents(settings_of=lambda _: {"name": demo_app.agent_name(0)})


def no_log_context() -> None:
    """Log lines without app_id, scope_id and correlation_id: the scope is not bound to the
    logging context."""
    kernel_context.bound_contextvars = lambda **fields: contextlib.nullcontext()


def lost_task_context() -> None:
    """The log probe's task starts from an empty context, losing the request's ids."""
    original = controllers.ScopesController.log

    async def log(self: Any, request: Request, line: Annotated[LogLine, Body()]) -> dict[str, Any]:
        logger = kernel_logging.get_logger("apiconform.demo")
        logger.info(line.message, origin="handler")

        async def background() -> None:
            logger.info(line.message, origin="task")

        await asyncio.create_task(background(), context=contextvars.Context())
        scope = get_current_scope()
        return {
            "app_id": self.app.id,
            "scope_id": scope.scope_id if scope else None,
            "correlation_id": get_correlation_id(),
        }

    log.__apiconform_route__ = original.__apiconform_route__  # type: ignore[attr-defined]
    controllers.ScopesController.log = log  # type: ignore[method-assign]


def no_correlation_echo() -> None:
    """The correlation id is not echoed in the response."""
    kernel_middleware.CORRELATION_HEADER = "x-trace-token"


def same_app_id() -> None:
    """Both apps claim the same id on the whoami probe."""
    original = controllers.ScopesController.whoami

    async def whoami(self: Any) -> dict[str, Any]:
        body: dict[str, Any] = await original(self)
        body["app_id"] = "agent"
        return body

    whoami.__apiconform_route__ = original.__apiconform_route__  # type: ignore[attr-defined]
    controllers.ScopesController.whoami = whoami  # type: ignore[method-assign]


def silent_port_conflict() -> None:
    """A taken port fails without saying which port or what to use instead."""
    original = kernel_server.bind

    def bind(host: str, port: int) -> Any:
        try:
            return original(host, port)
        except kernel_server.PortInUseError:
            raise ServerError("cannot start the server") from None

    kernel_server.bind = bind


@controller("")
class LabelledMetrics:
    def __init__(self, app: Application) -> None:
        self.app = app

    @get("/metrics")
    async def metrics(self) -> PlainTextResponse:
        labels = f'app_id="{self.app.id}",scope_id="{self.app.scope_id}"'
        return PlainTextResponse(
            "# TYPE http_requests_total counter\n"
            f'http_requests_total{{{labels},route="/x"}} 3\n'
            "process_cpu_seconds_total 1.5\n"
        )


@controller("")
class UnlabelledMetrics:
    @get("/metrics")
    async def metrics(self) -> PlainTextResponse:
        return PlainTextResponse('http_requests_total{route="/x"} 3\n')


def metrics_with_labels() -> None:
    """A /metrics endpoint whose samples carry app_id and scope_id (a positive control)."""
    demo_app.create_agents = _agents(extra_controllers=[LabelledMetrics])


def metrics_without_labels() -> None:
    """A /metrics endpoint whose samples carry no scope labels."""
    demo_app.create_agents = _agents(extra_controllers=[UnlabelledMetrics])


SCOPE_VARIANTS: dict[str, Callable[[], None]] = {
    "shared-cache": shared_cache,
    "scoped-as-singleton": scoped_as_singleton,
    "transient-as-scoped": transient_as_scoped,
    "shared-singletons": shared_singletons,
    "leaky-providers": leaky_providers,
    "leaky-routes": leaky_routes,
    "shared-config": shared_config,
    "no-log-context": no_log_context,
    "lost-task-context": lost_task_context,
    "no-correlation-echo": no_correlation_echo,
    "same-app-id": same_app_id,
    "silent-port-conflict": silent_port_conflict,
    "metrics-with-labels": metrics_with_labels,
    "metrics-without-labels": metrics_without_labels,
}
