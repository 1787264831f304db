"""Which version serves a request: URI, header, media type, their priority, the default."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LogCapture
from tests.reference.versioning.conftest import ClientFactory

V1_SHAPE = {"data": [{"full_name": "Ada Lovelace"}]}
V2_SHAPE = [{"first": "Ada", "last": "Lovelace"}]


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["supportedVersions"] == ["1", "2", "3"]
    assert body["instance"] == response.request.url.path
    return dict(body)


async def test_each_uri_version_is_served_by_its_own_handler(client: httpx.AsyncClient) -> None:
    one, two = await client.get("/v1/users"), await client.get("/v2/users")
    assert (one.status_code, one.json()) == (200, V1_SHAPE)
    assert (two.status_code, two.json()) == (200, V2_SHAPE)
    assert one.headers["x-api-version"] == "1"
    assert two.headers["x-api-version"] == "2"


async def test_a_path_without_version_is_served_by_the_default(
    client: httpx.AsyncClient, logs: LogCapture
) -> None:
    response = await client.get("/users")
    assert (response.status_code, response.json()) == (200, V2_SHAPE)
    assert response.headers["x-api-version"] == "2"
    assert response.headers["vary"] == "X-API-Version, Accept"
    [line] = logs.lines(message="no version requested: default used")
    assert (line["level"], line["path"], line["version"]) == ("debug", "/users", "2")


async def test_an_unversioned_post_is_served_directly(client: httpx.AsyncClient) -> None:
    response = await client.post("/users")
    assert (response.status_code, response.json()) == (201, {"created": True})


async def test_the_header_selects_the_version_of_an_unversioned_path(
    client: httpx.AsyncClient,
) -> None:
    for spelled in ("1", "v1", "V1", " 1 ", "01"):
        response = await client.get("/users", headers={"X-API-Version": spelled})
        assert response.json() == V1_SHAPE, spelled
        assert response.headers["x-api-version"] == "1"


async def test_the_vendor_media_type_selects_the_version_and_is_the_response_type(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/users", headers={"Accept": "application/vnd.cmmv.v1+json"})
    assert response.json() == V1_SHAPE
    assert response.headers["content-type"] == "application/vnd.cmmv.v1+json"
    parameter = await client.get("/users", headers={"Accept": "application/json; version=1"})
    assert parameter.json() == V1_SHAPE
    assert parameter.headers["content-type"] == "application/vnd.cmmv.v1+json"


@pytest.mark.parametrize(
    ("accept", "served"),
    [
        ("application/vnd.cmmv.v1+json, application/vnd.cmmv.v2+json", "2"),
        ("application/vnd.cmmv.v2+json, application/vnd.cmmv.v1+json", "2"),
        ("application/vnd.cmmv.v2+json;q=0.1, application/vnd.cmmv.v1+json;q=0.9", "2"),
        ("application/vnd.cmmv.v2+json;q=0, application/vnd.cmmv.v1+json", "1"),
        ("application/vnd.cmmv.v9+json, application/vnd.cmmv.v1+json", "1"),
        ("text/html, application/vnd.cmmv.v3+json;q=0.5, */*;q=0.1", "3"),
    ],
)
async def test_the_highest_supported_offered_version_wins(
    client: httpx.AsyncClient, accept: str, served: str
) -> None:
    response = await client.get("/users/7", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["x-api-version"] == served
    assert response.headers["content-type"] == f"application/vnd.cmmv.v{served}+json"


async def test_uri_beats_header_beats_media_type(client: httpx.AsyncClient) -> None:
    everything = {"X-API-Version": "2", "Accept": "application/vnd.cmmv.v3+json"}
    assert (await client.get("/v1/users/5", headers=everything)).json()["v"] == 1
    header_and_media = await client.get("/users/5", headers=everything)
    assert header_and_media.headers["x-api-version"] == "2"
    assert header_and_media.headers["content-type"] == "application/json"
    only_media = await client.get("/users/5", headers={"Accept": everything["Accept"]})
    assert only_media.headers["x-api-version"] == "3"


async def test_a_configured_priority_order_is_followed(versioned: ClientFactory) -> None:
    async with versioned(strategies=["media_type", "header", "uri"]) as client:
        headers = {"X-API-Version": "2", "Accept": "application/vnd.cmmv.v1+json"}
        response = await client.get("/v2/users", headers=headers)
        assert response.json() == V1_SHAPE
        assert response.headers["x-api-version"] == "1"


async def test_strategies_not_configured_are_ignored(versioned: ClientFactory) -> None:
    async with versioned(strategies=["uri"]) as client:
        headers = {"X-API-Version": "1", "Accept": "application/vnd.cmmv.v1+json"}
        response = await client.get("/users", headers=headers)
        assert response.json() == V2_SHAPE
        assert response.headers["content-type"] == "application/json"
    async with versioned(strategies=["header"]) as client:
        assert (await client.get("/v1/users")).status_code == 404  # not a public path
        assert (await client.get("/users", headers={"X-API-Version": "1"})).json() == V1_SHAPE


async def test_an_unsupported_header_version_is_400_listing_the_supported(
    client: httpx.AsyncClient,
) -> None:
    body = problem(await client.get("/users", headers={"X-API-Version": "9"}), 400)
    assert "X-API-Version" in str(body["detail"])


async def test_an_unsupported_media_type_version_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/users", headers={"Accept": "application/vnd.cmmv.v9+json"})
    problem(response, 400)
    assert response.headers["vary"] == "X-API-Version, Accept"


async def test_an_unsupported_uri_version_is_404_listing_the_supported(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/v9/users", "/v0/users", "/v1e9/users", "/v-1/users"):
        problem(await client.get(path), 404)


@pytest.mark.parametrize(
    "value",
    ["../", "..%2f..", "x" * 10_240, "-1", "1e9", "1000000000", "2.0.1", "zwei", "", "v"],
)
async def test_malformed_header_versions_are_400_never_500(
    client: httpx.AsyncClient, value: str
) -> None:
    problem(await client.get("/users", headers={"X-API-Version": value}), 400)


async def test_non_ascii_versions_are_400(client: httpx.AsyncClient) -> None:
    for raw in ("²".encode(), "٢".encode(), b"\xff\xfe"):
        problem(await client.get("/users", headers=[(b"X-API-Version", raw)]), 400)
        accept = b"application/vnd.cmmv.v" + raw + b"+json"
        problem(await client.get("/users", headers=[(b"Accept", accept)]), 400)


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.cmmv.v../+json",
        "application/vnd.cmmv.v-1+json",
        "application/json; version=1e9",
        "application/vnd.cmmv.v1+json, " * 70,
        "application/vnd.cmmv.v1+json;q=0.5," + "a" * 10_240,
    ],
)
async def test_malformed_media_type_versions_are_400(
    client: httpx.AsyncClient, accept: str
) -> None:
    problem(await client.get("/users", headers={"Accept": accept}), 400)


async def test_accept_without_a_versioned_type_leaves_the_default(
    client: httpx.AsyncClient,
) -> None:
    for accept in ("application/json", "*/*", "text/html;q=0.9, application/json;q=bad"):
        response = await client.get("/users", headers={"Accept": accept})
        assert response.headers["x-api-version"] == "2"
        assert response.headers["content-type"] == "application/json"


async def test_paths_outside_every_version_are_untouched(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"X-API-Version": "9"}, {"X-API-Version": "../"}):
        response = await client.get("/status", headers=headers)
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
        assert "x-api-version" not in response.headers
    assert (await client.get("/videos")).status_code == 404


async def test_a_route_missing_from_the_requested_version_is_404(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/reports/daily", headers={"X-API-Version": "1"})
    assert response.status_code == 404
    assert response.json()["instance"] == "/reports/daily"


@pytest.mark.parametrize(
    ("prefix", "path"),
    [("api/v", "/api/v1/users"), ("version/", "/version/1/users"), ("v", "/v1/users")],
)
async def test_a_custom_prefix_applies_to_every_versioned_route(
    versioned: ClientFactory, prefix: str, path: str
) -> None:
    async with versioned(uri_prefix=prefix) as client:
        response = await client.get(path)
        assert (response.status_code, response.json()) == (200, V1_SHAPE)
        assert (await client.get(path.replace("1", "2", 1) + "/4")).json()["v"] == "2-3"
        assert (await client.get(path.replace("1", "9", 1))).status_code == 404
        document = (await client.get("/openapi/v1.json")).json()
        assert document["paths"]
        assert all(p.startswith(path[: -len("1/users")]) for p in document["paths"])


async def test_a_custom_header_name_is_read(versioned: ClientFactory) -> None:
    async with versioned(header="Api-Version") as client:
        response = await client.get("/users", headers={"Api-Version": "1"})
        assert response.json() == V1_SHAPE
        assert response.headers["vary"] == "Api-Version, Accept"
        ignored = await client.get("/users", headers={"X-API-Version": "1"})
        assert ignored.json() == V2_SHAPE


async def test_unversioned_paths_can_redirect_with_308(versioned: ClientFactory) -> None:
    async with versioned(redirect_unversioned=True) as client:
        response = await client.post("/users?x=1")
        assert response.status_code == 308
        assert response.headers["location"] == "/v2/users?x=1"
        assert (await client.get("/users", headers={"X-API-Version": "1"})).json() == V1_SHAPE


async def test_the_default_can_be_logged_at_info(
    versioned: ClientFactory, logs: LogCapture
) -> None:
    async with versioned(default_log_level="info") as client:
        await client.get("/users")
        [line] = logs.lines(message="no version requested: default used")
        assert line["level"] == "info"
