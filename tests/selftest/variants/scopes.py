"""Broken variants of the demo's application scopes: isolation, provider lifetimes and the
context of log lines."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import json
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Body, Request
from fastapi.responses import PlainTextResponse

from apiconform.common import logs
from apiconform.reference.demo import app as demo_app
from apiconform.reference.demo import controllers, services
from apiconform.reference.demo.controllers import LogLine
from apiconform.reference.errors.exceptions import NotFound
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppScope,
    Provider,
    controller,
    get,
    get_correlation_id,
    get_current_scope,
    service,
)
from apiconform.reference.kernel import cache as kernel_cache
from apiconform.reference.kernel import middleware as kernel_middleware
from apiconform.reference.observability.metrics import Labelled
from tests.selftest.variants.base import SCOPES, broken, legit

Agents = Callable[..., list[Application]]


def _agents(
    *,
    routes_of: Callable[[str, list[str]], list[type[Any]]] | None = None,
    providers_of: Callable[[str, list[str]], list[Any]] | None = None,
    settings_of: Callable[[str], dict[str, Any]] | None = None,
    extra_controllers: list[type[Any]] | None = None,
) -> Agents:
    """A create_agents replacement whose per-agent routes/providers/settings can leak."""

    def create_agents(
        count: int,
        *,
        base: dict[str, Any] | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
        **_: Any,
    ) -> list[Any]:
        base = dict(base or {})
        port = int(base.get("port", 8000))
        names = [demo_app.agent_name(i) for i in range(count)]
        apps = []
        for index, name in enumerate(names):
            routes = (routes_of or (lambda n, _: [controllers.agent_controller(n)]))(name, names)
            extras = (providers_of or (lambda n, _: [Provider(f"agent-role:{n}", value=n)]))(
                name, names
            )
            settings = {
                **base.get("settings", {}),
                **(settings_of or (lambda n: {"name": n}))(name),
            }
            config = {**base, "port": port + index if port else 0, "settings": settings}
            apps.append(
                ApplicationFactory.create(
                    id=f"agent:{name}",
                    scope=AppScope.AGENT,
                    config=demo_app.merge(config, (overrides or {}).get(name, {})),
                    controllers=[*demo_app.CONTROLLERS, *routes, *(extra_controllers or [])],
                    providers=[*demo_app.PROVIDERS, *extras],
                    features=demo_app.demo_features(),
                )
            )
        return apps

    return create_agents


def _replace_route(cls: type[Any], name: str, make: Callable[[Any], Any]) -> None:
    """Replace a controller route's handler, keeping its route metadata."""
    current = getattr(cls, name)
    replaced = make(current)
    replaced.__apiconform_route__ = current.__apiconform_route__
    setattr(cls, name, replaced)


def set_correlation_header(name: str) -> None:
    """The header the kernel returns the correlation id in."""
    kernel_middleware.CORRELATION_HEADER = name
    if hasattr(kernel_middleware, "_CORRELATION_BYTES"):
        kernel_middleware._CORRELATION_BYTES = name.encode()


# -- isolation (SCOPE-ISO-01..03, SCOPE-CFG-01) ------------------------------------------------


@broken(SCOPES, {"SCOPE-ISO-02": "SCOPE-ISO-02.not-readable"})
def shared_cache() -> None:
    """Cache keys without the app's namespace: apps read each other's entries."""
    kernel_cache.ScopedCache.key = lambda self, key: key  # type: ignore[method-assign]


@broken(SCOPES, {"SCOPE-ISO-02": "SCOPE-ISO-02.same-key-separate"})
def cache_writes_leak() -> None:
    """Writing a key also overwrites that key in every other app that holds it."""
    prefixes: list[str] = []
    original_init = kernel_cache.ScopedCache.__init__
    original_set = kernel_cache.ScopedCache.set

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        prefixes.append(self.prefix)

    async def set_everywhere(self: Any, key: str, value: Any, ttl: float | None = None) -> None:
        await original_set(self, key, value, ttl)
        for prefix in prefixes:
            if prefix != self.prefix and await self.backend.get(prefix + key) is not None:
                await self.backend.set(prefix + key, json.dumps(value), ttl)

    kernel_cache.ScopedCache.__init__ = init  # type: ignore[method-assign]
    kernel_cache.ScopedCache.set = set_everywhere  # type: ignore[method-assign]


@broken(SCOPES, {}, skips={"SCOPE-ISO-02"})
def cache_probe_in_one_app_only() -> None:
    """Only the first app has the cache probe: isolation cannot be seen, so the check
    must not pass (a 404 from a missing route proves nothing)."""

    def make(current: Any) -> Any:
        async def cache_get(self: Any, key: str) -> Any:
            if self.app.id != "agent:agent-0":
                raise NotFound("no such route")
            return await current(self, key)

        return cache_get

    _replace_route(controllers.ScopesController, "cache_get", make)


@broken(SCOPES, {"SCOPE-ISO-01": "SCOPE-ISO-01.not-elsewhere"})
def leaky_providers() -> None:
    """Every agent registers every agent's role provider."""
    demo_app.create_agents = _agents(
        providers_of=lambda _, names: [Provider(f"agent-role:{n}", value=n) for n in names]
    )


@broken(SCOPES, {"SCOPE-ISO-01": "SCOPE-ISO-01.own-listed"})
def own_provider_unlisted() -> None:
    """The providers probe leaves out the agent's own provider."""

    def make(current: Any) -> Any:
        async def providers(self: Any) -> dict[str, Any]:
            body: dict[str, Any] = await current(self)
            body["providers"] = [p for p in body["providers"] if not p.startswith("agent-role")]
            return body

        return providers

    _replace_route(controllers.ScopesController, "providers", make)


@broken(SCOPES, {"SCOPE-ISO-03": "SCOPE-ISO-03.not-elsewhere"})
def leaky_routes() -> None:
    """Every agent mounts every agent's routes."""
    demo_app.create_agents = _agents(
        routes_of=lambda _, names: [controllers.agent_controller(n) for n in names]
    )


@broken(SCOPES, {"SCOPE-CFG-01": "SCOPE-CFG-01.not-elsewhere"})
def shared_config() -> None:
    """Every agent gets the first agent's settings."""
    demo_app.create_agents = _agents(settings_of=lambda _: {"name": demo_app.agent_name(0)})


@broken(SCOPES, {"SCOPE-CFG-01": "SCOPE-CFG-01.own"})
def config_ignored() -> None:
    """The apps' own settings never reach them."""

    def make(current: Any) -> Any:
        async def config(self: Any) -> dict[str, Any]:
            return {"app_id": self.app.id, "settings": {}}

        return config

    _replace_route(controllers.ScopesController, "config", make)


# -- provider lifetimes (SCOPE-DI-01..03) ------------------------------------------------------


@broken(SCOPES, {"SCOPE-DI-02": "SCOPE-DI-02.new-per-request"})
def scoped_as_singleton() -> None:
    """The request-scoped probe registered as a singleton."""
    service(lifetime="singleton")(services.RequestProbe)


@broken(SCOPES, {"SCOPE-DI-02": "SCOPE-DI-02.shared-within"})
def scoped_as_transient() -> None:
    """The request-scoped probe registered as transient: a new one at each resolution."""
    service(lifetime="transient")(services.RequestProbe)


@broken(SCOPES, {"SCOPE-DI-03": "SCOPE-DI-03.new-per-injection"})
def transient_as_scoped() -> None:
    """The transient probe registered as scoped: one instance per request."""
    service(lifetime="scoped")(services.TransientProbe)


@broken(SCOPES, {"SCOPE-DI-03": "SCOPE-DI-03.not-cached"})
def pooled_transients() -> None:
    """Transient instances come from a pool of two, reused by every request."""
    ids = itertools.cycle(["pooled-a", "pooled-b"])
    original = services.TransientProbe.__init__

    def init(self: Any) -> None:
        original(self)
        self.id = next(ids)

    services.TransientProbe.__init__ = init  # type: ignore[method-assign]


@broken(
    SCOPES,
    {"SCOPE-DI-01": "SCOPE-DI-01.per-scope", "SCOPE-ISO-01": "SCOPE-ISO-01.singletons"},
)
def shared_singletons() -> None:
    """One singleton instance handed to every app of the process."""
    shared = services.AppProbe()
    demo_app.PROVIDERS[demo_app.PROVIDERS.index(services.AppProbe)] = Provider(
        services.AppProbe, value=shared
    )


@broken(SCOPES, {"SCOPE-DI-01": "SCOPE-DI-01.same-instance"})
def singleton_per_request() -> None:
    """The app singleton registered as scoped: a new one in every request."""
    service(lifetime="scoped")(services.AppProbe)


# -- the context of log lines (SCOPE-CTX-01, SCOPE-LOG-01) ------------------------------------


@broken(
    SCOPES,
    {"SCOPE-LOG-01": "SCOPE-LOG-01.app-id", "SCOPE-CTX-01": "SCOPE-CTX-01.handler-context"},
)
def no_log_context() -> None:
    """Log lines without app_id, scope_id and correlation_id."""
    logs.add_scope_fields = lambda _, __, event: event


@broken(
    SCOPES,
    {"SCOPE-LOG-01": "SCOPE-LOG-01.scope-id", "SCOPE-CTX-01": "SCOPE-CTX-01.handler-context"},
)
def no_scope_id_in_logs() -> None:
    """Log lines carry the app id but no scope id."""
    original = logs.add_scope_fields

    def add(logger: Any, method: str, event: Any) -> Any:
        event = original(logger, method, event)
        event["scope_id"] = None
        return event

    logs.add_scope_fields = add


def _log_probe(task_context: contextvars.Context | None, with_task: bool = True) -> None:
    def make(current: Any) -> Any:
        async def log(
            self: Any, request: Request, line: Annotated[LogLine, Body()]
        ) -> dict[str, Any]:
            logger = logs.get_logger("apiconform.demo")
            logger.info(line.message, origin="handler")

            async def background() -> None:
                logger.info(line.message, origin="task")

            if with_task:
                await asyncio.create_task(background(), context=task_context)
            scope = get_current_scope()
            return {
                "app_id": self.app.id,
                "scope_id": scope.scope_id if scope else None,
                "correlation_id": get_correlation_id(),
            }

        return log

    _replace_route(controllers.ScopesController, "log", make)


@broken(SCOPES, {"SCOPE-CTX-01": "SCOPE-CTX-01.task-context"})
def lost_task_context() -> None:
    """The log probe's task starts from an empty context, losing the request's ids."""
    _log_probe(contextvars.Context())


@broken(SCOPES, {"SCOPE-CTX-01": "SCOPE-CTX-01.lines"})
def no_task_line() -> None:
    """The log probe's task never writes its line."""
    _log_probe(None, with_task=False)


@broken(SCOPES, {"SCOPE-CTX-01": "SCOPE-CTX-01.echoed"})
def no_correlation_echo() -> None:
    """The correlation id is returned under another header name."""
    set_correlation_header("x-trace-token")


# -- apps answering as themselves (SCOPE-HTTP-01, SCOPE-TYPE-02) ------------------------------


def _whoami_as(rename: Callable[[str], str]) -> None:
    def make(current: Any) -> Any:
        async def whoami(self: Any) -> dict[str, Any]:
            body: dict[str, Any] = await current(self)
            body["app_id"] = rename(body["app_id"])
            return body

        return whoami

    _replace_route(controllers.ScopesController, "whoami", make)


def _without_declared_ids(manifest: dict[str, Any]) -> None:
    for app in manifest["scopes"]["apps"]:
        app["id"] = None


@broken(
    SCOPES,
    {
        "SCOPE-HTTP-01": "SCOPE-HTTP-01.distinct",
        "SCOPE-TYPE-02": "SCOPE-HTTP-01.distinct",
        "SCOPE-LOG-01": "SCOPE-LOG-01.app-id",
    },
    manifest=_without_declared_ids,
)
def same_app_id() -> None:
    """Both apps claim the same id on the whoami probe."""
    _whoami_as(lambda _: "agent")


@broken(
    SCOPES,
    {
        "SCOPE-HTTP-01": "SCOPE-HTTP-01.expected-id",
        "SCOPE-TYPE-02": "SCOPE-HTTP-01.expected-id",
        "SCOPE-LOG-01": "SCOPE-LOG-01.app-id",
    },
)
def renamed_apps() -> None:
    """The apps answer under ids other than those they were created with."""
    _whoami_as(lambda app_id: f"{app_id}-renamed")


@broken(
    SCOPES,
    {"SCOPE-HTTP-01": "SCOPE-HTTP-01.app-id", "SCOPE-TYPE-02": "SCOPE-HTTP-01.app-id"},
    skips={"SCOPE-LOG-01"},
)
def anonymous_apps() -> None:
    """The whoami probe answers without an app id."""
    _whoami_as(lambda _: "")


# -- metrics (SCOPE-LOG-02) -------------------------------------------------------------------


@controller("")
class LabelledMetrics:
    def __init__(self, app: Application) -> None:
        self.app = app

    @get("/probe-metrics")
    async def metrics(self) -> PlainTextResponse:
        labels = f'app_id="{self.app.id}",scope_id="{self.app.scope_id}"'
        return PlainTextResponse(
            "# TYPE http_requests_total counter\n"
            f'http_requests_total{{{labels},route="/x"}} 3\n'
            "process_cpu_seconds_total 1.5\n"
        )


def _own_metrics_endpoint(data: dict[str, Any]) -> None:
    data["observability"]["metrics"] = "/probe-metrics"


@legit(manifest=_own_metrics_endpoint)
def metrics_with_labels() -> None:
    """A hand-written metrics endpoint elsewhere, whose samples carry app_id and scope_id,
    beside a runtime sample without them."""
    demo_app.create_agents = _agents(extra_controllers=[LabelledMetrics])


@broken(SCOPES, {"SCOPE-LOG-02": "SCOPE-LOG-02.labels"})
def metrics_without_labels() -> None:
    """A /metrics endpoint whose samples carry no scope labels."""

    def own_labels_only(self: Labelled, own: Mapping[str, str]) -> dict[str, str]:
        return dict(own)

    Labelled._merge = own_labels_only  # type: ignore[method-assign]
