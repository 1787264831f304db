"""The filter mechanics: @catch matching, route -> controller -> global -> built-in order,
declining, custom responses, filters with dependencies, the host and failure handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pydantic
import pytest
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse

from apiconform.reference.errors import ErrorHandling
from apiconform.reference.errors.exceptions import Conflict, HttpException, NotFound
from apiconform.reference.errors.filters import (
    ArgumentsHost,
    HostError,
    catch,
    caught_types,
    handles,
    use_filters,
)
from apiconform.reference.errors.problem import Problem
from apiconform.reference.kernel import (
    Application,
    ApplicationFactory,
    AppRegistry,
    Contribution,
    Layer,
    Middleware,
    controller,
    get,
    service,
)
from tests.conftest import LogCapture


class Boom(Exception):
    pass


class Fizz(Boom):
    pass


journal: list[str] = []


@catch(Boom)
class RouteFilter:
    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem:
        journal.append("route")
        return Problem(status=418, detail=f"route saw {type(exc).__name__}")


@catch(Fizz)
class ControllerFilter:
    async def catch(self, exc: Exception, host: ArgumentsHost) -> Problem:
        journal.append("controller")
        return Problem(status=409, detail="controller")


@service
class Tagger:
    tag = "injected"


@catch(NotFound)
class GlobalFilter:
    def __init__(self, tagger: Tagger) -> None:
        self.tagger = tagger

    def catch(self, exc: Exception, host: ArgumentsHost) -> Any:
        journal.append("global")
        request = host.switch_to_http().get_request()
        host.switch_to_http().get_response().headers["X-Filtered-By"] = self.tagger.tag
        return JSONResponse({"custom": True, "path": request.url.path}, status_code=404)


@catch()
class DecliningFilter:
    def catch(self, exc: Exception, host: ArgumentsHost) -> None:
        journal.append("declined")
        return None


@catch(Conflict)
class BrokenFilter:
    def catch(self, exc: Exception, host: ArgumentsHost) -> Any:
        raise RuntimeError("filter bug")


@catch(KeyError)
class WrongReturnFilter:
    def catch(self, exc: Exception, host: ArgumentsHost) -> Any:
        return {"not": "a problem"}


@controller("f")
@use_filters(ControllerFilter)
class FilteredController:
    @get("/route-boom")
    @use_filters(RouteFilter)
    async def route_boom(self) -> None:
        raise Boom("x")

    @get("/route-fizz")
    @use_filters(RouteFilter)
    async def route_fizz(self) -> None:
        raise Fizz("route filter matches first: Fizz is a Boom")

    @get("/controller-fizz")
    async def controller_fizz(self) -> None:
        raise Fizz("x")

    @get("/global")
    async def not_found(self) -> None:
        raise NotFound("gone")

    @get("/declined")
    @use_filters(DecliningFilter())
    async def declined(self) -> None:
        raise HttpException("declined then built-in")

    @get("/broken")
    async def broken(self) -> None:
        raise Conflict("the filter will fail")

    @get("/wrong-return")
    async def wrong_return(self) -> None:
        raise KeyError("k")

    @get("/stream")
    async def stream(self) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"partial"
            raise RuntimeError("failed mid-stream")

        return StreamingResponse(body())

    @get("/plain")
    async def plain(self) -> PlainTextResponse:
        return PlainTextResponse("fine")


@pytest.fixture
async def client(registry: AppRegistry) -> AsyncIterator[httpx.AsyncClient]:
    journal.clear()
    app = ApplicationFactory.create(
        id="filters",
        scope="agent",
        controllers=[FilteredController],
        providers=[Tagger],
        features=[ErrorHandling(filters=[GlobalFilter, BrokenFilter(), WrongReturnFilter()])],
        registry=registry,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False), base_url="http://t"
    ) as http:
        yield http
    await app.dispose()


async def test_route_filter_comes_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/f/route-fizz")
    assert response.status_code == 418
    assert journal == ["route"]


async def test_controller_filter_applies_to_routes_without_their_own(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/f/controller-fizz")
    assert (response.status_code, response.json()["detail"]) == (409, "controller")
    assert journal == ["controller"]


@pytest.mark.requirement("ERR-FILTER-02", "ERR-CATCH-01")
async def test_filter_of_another_type_is_skipped(client: httpx.AsyncClient) -> None:
    response = await client.get("/f/route-boom")
    assert response.status_code == 418  # Boom: the controller's Fizz filter does not apply
    assert journal == ["route"]


@pytest.mark.requirement("ERR-IFACE-01")
async def test_global_filter_with_dependencies_may_return_its_own_response(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/f/global")
    assert response.status_code == 404
    assert response.json() == {"custom": True, "path": "/f/global"}
    assert response.headers["x-filtered-by"] == "injected"
    assert journal == ["global"]


async def test_declining_filter_passes_to_the_next(client: httpx.AsyncClient) -> None:
    response = await client.get("/f/declined")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert journal == ["declined"]


async def test_failing_filter_is_logged_and_the_error_still_answered(
    client: httpx.AsyncClient, logs: LogCapture
) -> None:
    response = await client.get("/f/broken")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    [line] = logs.lines(message="exception filter failed")
    assert line["filter"] == "BrokenFilter"
    assert "filter bug" in line["error"]


async def test_filter_returning_something_else_is_a_failure(
    client: httpx.AsyncClient, logs: LogCapture
) -> None:
    response = await client.get("/f/wrong-return")
    assert response.status_code == 500
    [line] = logs.lines(message="exception filter failed")
    assert "return a Problem, a Response or None" in line["error"]


async def test_error_after_the_response_started_is_logged_and_aborts(
    registry: AppRegistry, logs: LogCapture
) -> None:
    app = ApplicationFactory.create(
        id="stream",
        scope="agent",
        controllers=[FilteredController],
        providers=[Tagger],
        features=[ErrorHandling()],
        registry=registry,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as http:
        with pytest.raises(RuntimeError, match="failed mid-stream"):
            await http.get("/f/stream")  # never passed off as a complete response
    await app.dispose()
    [line] = logs.lines(message="request failed")  # logged once
    assert (line["status"], line["error"], line["level"]) == (500, "RuntimeError", "error")


async def test_error_middleware_logs_and_reraises_what_nothing_handled(
    registry: AppRegistry, logs: LogCapture
) -> None:
    from apiconform.reference.errors.middleware import ErrorMiddleware
    from apiconform.reference.errors.pipeline import ExceptionPipeline

    app = ApplicationFactory.create(
        id="raw", scope="agent", features=[ErrorHandling()], registry=registry
    )

    async def half_response(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise Fizz("after start")

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = ErrorMiddleware(half_response, errors=app.container.resolve(ExceptionPipeline))
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    with pytest.raises(Fizz):
        await middleware(scope, None, send)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start"]
    [line] = logs.lines(message="request failed")
    assert (line["error"], line["status"], line["path"]) == ("Fizz", 500, "/")
    assert line["exception"][0]["exc_value"] == "after start"
    await app.dispose()


@pytest.mark.requirement("ERR-CATCH-01", "ERR-CATCH-02")
def test_catch_declares_types_and_no_types_means_all() -> None:
    assert caught_types(RouteFilter) == (Boom,)
    assert handles(RouteFilter(), Fizz())
    assert not handles(ControllerFilter(), Boom())
    assert caught_types(DecliningFilter) == ()
    assert handles(DecliningFilter(), ValueError())


@pytest.mark.requirement("ERR-HOST-01")
def test_host_exposes_the_http_context_and_refuses_rpc() -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
    host = ArgumentsHost(request)
    assert host.get_type() == "http"
    assert host.get_args()[0] is request
    assert host.get_arg_by_index(0) is request
    http = host.switch_to_http()
    assert http.get_request() is request
    http.get_response().status_code = 299
    assert host.get_arg_by_index(1).status_code == 299
    with pytest.raises(HostError, match="there is no RPC context"):
        host.switch_to_rpc()


@pytest.mark.requirement("ERR-HOST-01")
async def test_draft_status_overrides_the_response_status(registry: AppRegistry) -> None:
    @catch(Boom)
    class StatusFilter:
        def catch(self, exc: Exception, host: ArgumentsHost) -> Problem:
            host.switch_to_http().get_response().status_code = 451
            return Problem(status=400)

    @controller("s")
    class StatusController:
        @get("")
        async def boom(self) -> None:
            raise Boom("x")

    app = ApplicationFactory.create(
        id="s",
        scope="agent",
        controllers=[StatusController],
        features=[ErrorHandling(filters=[StatusFilter()])],
        registry=registry,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as http:
        assert (await http.get("/s")).status_code == 451
    await app.dispose()


class NoSettings(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class Exploding:
    """A feature whose routing-layer middleware fails on every request."""

    name = "exploding"
    config_model = NoSettings

    def setup(self, app: Application, config: Any) -> Contribution:
        def explode(inner: Any) -> Any:
            async def app_(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    raise Fizz("middleware bug")
                await inner(scope, receive, send)  # pragma: no cover - http only here

            return app_

        return Contribution(middleware=[Middleware(Layer.ROUTING, explode, "exploding")])


async def test_exception_raised_below_the_routes_becomes_a_problem(
    registry: AppRegistry,
) -> None:
    app: Application = ApplicationFactory.create(
        id="m", scope="agent", features=[ErrorHandling(), Exploding()], registry=registry
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False), base_url="http://t"
    ) as http:
        response = await http.get("/anything")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    await app.dispose()


class Unbuildable:
    def __init__(self, missing: Boom) -> None:  # nothing provides Boom
        self.missing = missing

    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem:
        return Problem(status=418)


def test_global_filter_that_cannot_be_built_fails_creation(registry: AppRegistry) -> None:
    from apiconform.errors import ConfigError

    with pytest.raises(ConfigError, match="app 'bad': an exception filter cannot be built"):
        ApplicationFactory.create(
            id="bad",
            scope="agent",
            features=[ErrorHandling(filters=[Unbuildable])],
            registry=registry,
        )
    assert registry.get("bad") is None


async def test_route_filter_that_cannot_be_built_still_gets_a_problem(
    registry: AppRegistry, logs: LogCapture
) -> None:
    @controller("u")
    class UsesUnbuildable:
        @get("")
        @use_filters(Unbuildable)
        async def boom(self) -> None:
            raise Boom("x")

    app = ApplicationFactory.create(
        id="u",
        scope="agent",
        controllers=[UsesUnbuildable],
        features=[ErrorHandling()],
        registry=registry,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as http:
        response = await http.get("/u")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert logs.lines(message="exception filter failed")[0]["filter"] == "Unbuildable"
    await app.dispose()
