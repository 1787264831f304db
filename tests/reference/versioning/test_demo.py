"""The demo's versioning probes: GET /users in versions 1 and 2, version 1 deprecated with
a future sunset, GET /legacy only in version 0, retired (410), and GET /api-info, one
handler under versions 1 and 2."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from apiconform.reference.demo.app import create_demo_app
from apiconform.reference.kernel import AppRegistry


@pytest.fixture
async def demo(registry: AppRegistry) -> AsyncIterator[httpx.AsyncClient]:
    app = create_demo_app(registry=registry)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False), base_url="http://t"
    ) as client:
        await client.post("/users", json={"name": "Ada", "email": "ada@example.com"})
        yield client
    await app.dispose()


async def test_users_have_a_different_shape_in_each_version(demo: httpx.AsyncClient) -> None:
    one, two = (await demo.get("/v1/users")).json(), (await demo.get("/v2/users")).json()
    assert one == {"data": [{"id": 1, "full_name": "Ada"}], "count": 1}
    assert two == [{"id": 1, "name": "Ada", "email": "ada@example.com"}]
    assert (await demo.get("/users")).json() == two
    header = await demo.get("/users", headers={"X-API-Version": "1"})
    assert header.json() == one
    media = await demo.get("/users", headers={"Accept": "application/vnd.cmmv.v1+json"})
    assert (media.json(), media.headers["content-type"]) == (one, "application/vnd.cmmv.v1+json")


async def test_version_1_is_deprecated_with_a_future_sunset(demo: httpx.AsyncClient) -> None:
    response = await demo.get("/v1/users")
    assert response.status_code == 200
    assert response.headers["deprecation"].startswith("@")
    sunset = parsedate_to_datetime(response.headers["sunset"])
    assert sunset.year == 2099
    assert '</v2/users>; rel="successor-version"' in response.headers["link"]
    assert "deprecation" not in (await demo.get("/v2/users")).headers


async def test_legacy_is_gone_naming_the_successor(demo: httpx.AsyncClient) -> None:
    for response in (
        await demo.get("/v0/legacy"),
        await demo.get("/legacy", headers={"X-API-Version": "0"}),
        await demo.get("/legacy", headers={"Accept": "application/vnd.cmmv.v0+json"}),
    ):
        assert response.status_code == 410
        assert response.json()["detail"] == "version 0 was retired; use version 2"
    assert (await demo.get("/legacy")).status_code == 404  # not in the default version


@pytest.mark.requirement("VER-DEC-03")
async def test_one_handler_answers_api_info_in_both_live_versions(
    demo: httpx.AsyncClient,
) -> None:
    one, two, default = [await demo.get(p) for p in ("/v1/api-info", "/v2/api-info", "/api-info")]
    assert one.status_code == two.status_code == default.status_code == 200
    assert one.json() == two.json() == default.json()
    assert one.json() == {"name": "apiconform demo", "max_page_size": 100}
    assert one.headers["deprecation"].startswith("@")  # version 1 stays deprecated
    assert "deprecation" not in two.headers
    assert (await demo.get("/v0/api-info")).status_code == 404  # never in version 0


async def test_the_other_probes_stay_outside_the_versions(demo: httpx.AsyncClient) -> None:
    response = await demo.get("/scopes/whoami", headers={"X-API-Version": "1"})
    assert response.status_code == 200
    assert "x-api-version" not in response.headers
    index = (await demo.get("/openapi.json")).json()
    assert [entry["version"] for entry in index["versions"]] == ["0", "1", "2"]
    assert index["default"] == "2"


async def test_metrics_label_the_route_as_the_client_addressed_it(demo: httpx.AsyncClient) -> None:
    await demo.get("/users/1")  # the default version, routed to /v2/users/{user_id}
    await demo.get("/v2/users/1")
    await demo.get("/users/1", headers={"X-API-Version": "1"})  # no such route in v1: 404
    text = (await demo.get("/metrics")).text
    paths = {
        line.split('path="', 1)[1].split('"', 1)[0]
        for line in text.splitlines()
        if line.startswith("http_requests_total{") and 'path="' in line
    }
    assert "/users/{user_id}" in paths
    assert "/v2/users/{user_id}" in paths
    assert not any(p.startswith("/v1/") for p in paths if "users/{user_id}" in p)
