"""The feature seam: config sections, contributions, layers, route transforms, guards,
hooks, and the checks that refuse a feature that does not fit."""

from __future__ import annotations

from typing import Any

import httpx
import pydantic
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from apiconform.errors import ConfigError
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppRegistry,
    Contribution,
    Feature,
    Layer,
    Middleware,
    Provider,
    RouteDef,
    controller,
    get,
)
from apiconform.reference.kernel.stack import ordered


class Settings(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    tag: str = "default"
    limit: int = pydantic.Field(default=3, gt=0)


def stamp(name: str, log: list[str]) -> Any:
    """A middleware that records its name on the way in and adds it to a header."""

    def build(inner: ASGIApp) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            log.append(name)

            async def tagged(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-layer", name.encode())]
                await send(message)

            await inner(scope, receive, tagged)

        return app

    return build


class Recorder:
    """A feature that contributes one of everything and records what happens."""

    config_model = Settings

    def __init__(self, name: str = "recorder", **contributes: Any) -> None:
        self.name = name
        self.contributes = contributes
        self.events: list[str] = []
        self.config: Settings | None = None

    def setup(self, app: Application, config: Settings) -> Contribution:
        self.config = config

        def hook(event: str) -> Any:
            async def record(app: Application) -> None:
                self.events.append(f"{self.name}:{event}")

            return record

        return Contribution(
            on_start=[hook("start")],
            on_stopping=[hook("stopping")],
            on_stop=[hook("stop")],
            on_dispose=[hook("dispose")],
            **self.contributes,
        )


@controller("items")
class Items:
    @get("/{item_id}")
    async def read(self, item_id: int) -> dict[str, int]:
        return {"id": item_id}


def create(registry: AppRegistry, *features: Feature, **options: Any) -> Application:
    return ApplicationFactory.create(
        id="f", scope="agent", features=list(features), registry=registry, **options
    )


async def get_json(app: Application, path: str, **kw: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as client:
        return await client.get(path, **kw)


def test_each_feature_validates_its_own_section_and_injects_it(registry: AppRegistry) -> None:
    feature = Recorder()
    app = create(registry, feature, config={"recorder": {"tag": "x"}})
    assert feature.config == Settings(tag="x", limit=3)
    assert app.config.section("recorder", Settings) is feature.config
    assert app.container.resolve(Settings) is feature.config
    with pytest.raises(ConfigError, match=r"recorder\.limit: Input should be greater than 0"):
        create(AppRegistry(), Recorder(), config={"recorder": {"limit": 0}})
    with pytest.raises(ConfigError, match=r"recorder\.colour: Extra inputs are not permitted"):
        create(AppRegistry(), Recorder(), config={"recorder": {"colour": "red"}})
    with pytest.raises(ConfigError, match="recorder: unknown setting or section"):
        create(AppRegistry(), config={"recorder": {}})  # the feature is not installed


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ([Recorder("port")], "feature 'port' clashes with a kernel setting"),
        ([Recorder("Bad Name")], "has no valid name"),
        ([Recorder(), Recorder()], "feature 'recorder' is given twice"),
    ],
)
def test_features_that_cannot_be_told_apart_are_refused(
    registry: AppRegistry, features: list[Feature], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create(registry, *features)
    assert registry.get("f") is None


async def test_middleware_is_stacked_by_layer_whatever_the_feature_order(
    registry: AppRegistry,
) -> None:
    seen: list[str] = []
    inner = Recorder(
        "inner",
        middleware=[
            Middleware(Layer.VERSIONING, stamp("versioning", seen), "v"),
            Middleware(Layer.GUARDS, stamp("guards-2", seen), "g2", order=2),
        ],
    )
    outer = Recorder(
        "outer",
        middleware=[
            Middleware(Layer.GUARDS, stamp("guards-1", seen), "g1", order=1),
            Middleware(Layer.TELEMETRY, stamp("telemetry", seen), "t"),
        ],
    )
    app = create(registry, inner, outer, controllers=[Items])
    assert [m.name for m in ordered(app.middleware)] == [
        "t",
        "request scope",
        "g1",
        "g2",
        "v",
    ]
    response = await get_json(app, "/items/4")
    assert response.json() == {"id": 4}
    assert seen == ["telemetry", "guards-1", "guards-2", "versioning"]
    # the innermost adds its header first
    assert response.headers.get_list("x-layer") == [
        "versioning",
        "guards-2",
        "guards-1",
        "telemetry",
    ]


async def test_route_transforms_multiply_routes_and_guards_see_each(
    registry: AppRegistry,
) -> None:
    def per_version(route: RouteDef) -> list[RouteDef]:
        return [route.replace(path=f"/v{n}{route.path}") for n in (1, 2)]

    def guard_for(route: RouteDef) -> Any:
        if not route.path.startswith("/v2"):
            return None

        async def guard(request: Request) -> None:
            if request.headers.get("x-key") != "open":
                raise PermissionError("closed")

        return guard

    feature = Recorder(route_transforms=[per_version], guards=[guard_for])
    app = create(registry, feature, controllers=[Items])
    assert (await get_json(app, "/v1/items/1")).json() == {"id": 1}
    assert (await get_json(app, "/v2/items/2", headers={"x-key": "open"})).json() == {"id": 2}
    with pytest.raises(PermissionError):  # no error handling installed: it propagates
        await get_json(app, "/v2/items/3")
    assert (await get_json(app, "/items/1")).status_code == 404  # only the versioned paths


async def test_providers_controllers_and_options_of_a_feature(registry: AppRegistry) -> None:
    @controller("feature")
    class FeatureController:
        def __init__(self, tag: Settings) -> None:
            self.tag = tag

        @get("")
        async def read(self) -> dict[str, str]:
            return {"tag": self.tag.tag}

    feature = Recorder(
        providers=[Provider("feature-token", value=7)],
        controllers=[FeatureController],
        http_options={"openapi_url": None},
    )
    app = create(registry, feature, config={"recorder": {"tag": "mine"}})
    assert app.container.resolve("feature-token") == 7
    assert (await get_json(app, "/feature")).json() == {"tag": "mine"}
    assert (await get_json(app, "/openapi.json")).status_code == 404


def test_contributions_that_conflict_are_refused(registry: AppRegistry) -> None:
    class Handler:
        async def handle(self, exc: Exception, request: Request) -> Response:
            return JSONResponse({}, 500)

    with pytest.raises(ConfigError, match="installs a second error handler"):
        create(
            registry,
            Recorder("a", error_handler=Handler()),
            Recorder("b", error_handler=Handler()),
        )
    with pytest.raises(ConfigError, match="sets http option 'docs_url'"):
        create(
            AppRegistry(),
            Recorder("a", http_options={"docs_url": "/a"}),
            Recorder("b", http_options={"docs_url": "/b"}),
        )


def test_a_failing_assembly_check_means_no_application(registry: AppRegistry) -> None:
    def refuse(app: Application) -> None:
        raise ConfigError(f"{len(app.controllers)} controllers is too many")

    with pytest.raises(ConfigError, match="1 controllers is too many"):
        create(registry, Recorder(on_assembled=[refuse]), controllers=[Items])
    assert registry.get("f") is None


async def test_hooks_run_in_order_features_first_and_stop_in_reverse(
    registry: AppRegistry,
) -> None:
    first, second = Recorder("first"), Recorder("second")
    app = create(registry, first, second, config={"port": 0})
    order: list[str] = []
    app.on_start(lambda _: order.append("app:start"))
    app.on_stop(lambda _: order.append("app:stop"))
    await app.start()
    await app.stop()
    await app.dispose()
    assert first.events == ["first:start", "first:stopping", "first:stop", "first:dispose"]
    assert second.events == ["second:start", "second:stopping", "second:stop", "second:dispose"]
    assert order == ["app:start", "app:stop"]


async def test_without_error_handling_fastapi_answers_errors(registry: AppRegistry) -> None:
    app = create(registry, controllers=[Items])
    response = await get_json(app, "/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_the_app_is_not_served_before_it_is_assembled(registry: AppRegistry) -> None:
    from apiconform.reference.kernel import LifecycleError
    from apiconform.reference.kernel.application import AppScope
    from apiconform.reference.kernel.assembly import AssemblyError
    from apiconform.reference.kernel.config import AppConfig
    from apiconform.reference.kernel.factory import _cache_backend

    config = AppConfig()
    backend, owned = _cache_backend(config, registry, None)
    app = Application(
        id="raw",
        scope=AppScope.AGENT,
        config=config,
        registry=registry,
        cache_backend=backend,
        owns_cache_backend=owned,
    )
    with pytest.raises(AssemblyError, match="not assembled yet"):
        app.add_controller(Items)
    with pytest.raises(LifecycleError, match="not assembled yet"):
        await app.asgi({"type": "http"}, None, None)  # type: ignore[arg-type]
    app.assemble([])
    with pytest.raises(AssemblyError, match="set up after assembly"):
        app.adopt("late", Contribution())
