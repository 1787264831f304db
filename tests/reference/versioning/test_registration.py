"""How ``@version`` registers routes: the controller's versions for all its routes, a
route's own versions instead, one registration per version with the same handler."""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.responses import JSONResponse

from apiconform.reference.kernel import AppRegistry, controller, get
from apiconform.reference.kernel.routing import KernelRoute
from apiconform.reference.versioning import version
from apiconform.reference.versioning.table import VERSION_KEY
from tests.reference.versioning.conftest import ClientFactory, make_app


def registered(registry: AppRegistry, **versioning: object) -> dict[tuple[str, str], KernelRoute]:
    app = make_app(registry, **versioning)
    assert app.http is not None
    return {
        (next(iter(route.methods)), route.path): route
        for route in app.http.routes
        if isinstance(route, KernelRoute)
    }


@pytest.mark.requirement("VER-DEC-01")
def test_a_controller_version_applies_to_all_its_routes(registry: AppRegistry) -> None:
    routes = registered(registry)
    assert ("GET", "/v2/reports/daily") in routes
    assert ("GET", "/v1/users") in routes
    assert ("GET", "/users") not in routes


@pytest.mark.requirement("VER-DEC-02")
def test_a_route_version_overrides_its_controller(registry: AppRegistry) -> None:
    routes = registered(registry)
    assert ("GET", "/v1/reports/archive") in routes
    assert ("GET", "/v2/reports/archive") not in routes


@pytest.mark.requirement("VER-ROUTE-01", "VER-DEC-03")
def test_a_route_in_several_versions_is_registered_once_per_version(
    registry: AppRegistry,
) -> None:
    routes = registered(registry)
    two, three = routes[("GET", "/v2/users/{user_id}")], routes[("GET", "/v3/users/{user_id}")]
    assert two.definition is not None
    assert three.definition is not None
    assert two.definition.function is three.definition.function
    assert two.endpoint is three.endpoint
    assert (two.openapi_extra or {})[VERSION_KEY] == "2"
    assert (three.openapi_extra or {})[VERSION_KEY] == "3"
    assert [path for _, path in routes if path.endswith("{user_id}")] == [
        "/v1/users/{user_id}",
        "/v2/users/{user_id}",
        "/v3/users/{user_id}",
    ]


def test_unversioned_routes_get_the_default_version_unless_neutral(
    registry: AppRegistry,
) -> None:
    routes = registered(registry)
    assert ("GET", "/v2/plain") in routes
    assert ("GET", "/status") in routes
    neutral = registered(AppRegistry(), unversioned="neutral")
    assert ("GET", "/plain") in neutral
    assert not any(path.endswith("/plain") and path != "/plain" for _, path in neutral)


def test_deprecated_versions_mark_their_operations(registry: AppRegistry) -> None:
    routes = registered(registry)
    assert routes[("GET", "/v1/users")].deprecated is True
    assert not routes[("GET", "/v2/users")].deprecated
    assert all(isinstance(route, APIRoute) for route in routes.values())


async def test_versions_answer_alike_for_a_shared_handler(versioned: ClientFactory) -> None:
    async with versioned() as client:
        two, three = await client.get("/v2/users/4"), await client.get("/v3/users/4")
        assert two.json() == three.json() == {"id": 4, "v": "2-3"}
        assert (await client.get("/v3/users")).status_code == 404


async def test_unversioned_routes_follow_the_requested_version(versioned: ClientFactory) -> None:
    async with versioned() as client:
        plain = await client.get("/plain")
        assert (plain.json(), plain.headers["x-api-version"]) == ({"plain": "yes"}, "2")
        assert (await client.get("/plain", headers={"X-API-Version": "1"})).status_code == 404
    async with versioned(unversioned="neutral") as client:
        plain = await client.get("/plain", headers={"X-API-Version": "1"})
        assert plain.status_code == 200
        assert "x-api-version" not in plain.headers


async def test_a_response_vary_header_is_extended_not_replaced(registry: AppRegistry) -> None:
    @controller("varied")
    @version("2")
    class Varied:
        @get("")
        async def varied(self) -> JSONResponse:
            return JSONResponse({}, headers={"Vary": "Origin"})

    app = make_app(registry, controllers=[Varied])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as client:
        response = await client.get("/varied")
    assert response.headers["vary"] == "Origin, X-API-Version, Accept"
    await app.dispose()
