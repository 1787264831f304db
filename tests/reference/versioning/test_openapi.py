"""One OpenAPI document per version, an index of them, and the Swagger UI page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from apiconform.reference.versioning.docs import ASSET_DIR
from tests.reference.versioning.conftest import ClientFactory, Clock

OPERATIONS = {
    "1": {
        ("get", "/v1/users"),
        ("get", "/v1/users/{user_id}"),
        ("get", "/v1/reports/archive"),
    },
    "2": {
        ("get", "/v2/users"),
        ("post", "/v2/users"),
        ("get", "/v2/users/{user_id}"),
        ("get", "/v2/reports/daily"),
        ("get", "/v2/plain"),
    },
    "3": {("get", "/v3/users/{user_id}")},
}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


@pytest.mark.parametrize("version", ["1", "2", "3"])
async def test_each_version_has_a_valid_document_with_only_its_operations(
    client: httpx.AsyncClient, version: str
) -> None:
    response = await client.get(f"/openapi/v{version}.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["info"]["version"] == version
    found = operations(document)
    assert set(found) == OPERATIONS[version]
    for operation in found.values():
        assert operation["x-api-version"] == version
        assert operation.get("deprecated", False) is (version == "1")
    ids = [operation["operationId"] for operation in found.values()]
    assert len(set(ids)) == len(ids)


async def test_operation_ids_differ_between_versions(client: httpx.AsyncClient) -> None:
    ids = [
        {
            op["operationId"]
            for op in operations((await client.get(f"/openapi/v{v}.json")).json()).values()
        }
        for v in ("2", "3")
    ]
    assert not ids[0] & ids[1]


async def test_the_index_lists_the_versions(client: httpx.AsyncClient) -> None:
    index = (await client.get("/openapi.json")).json()
    assert index == {
        "default": "2",
        "versions": [
            {"version": "1", "url": "/openapi/v1.json", "deprecated": True},
            {"version": "2", "url": "/openapi/v2.json", "deprecated": False},
            {"version": "3", "url": "/openapi/v3.json", "deprecated": False},
        ],
    }


async def test_an_unknown_version_has_no_document(client: httpx.AsyncClient) -> None:
    for path in ("/openapi/v9.json", "/openapi/v..%2f.json", "/openapi/vx.json"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_the_docs_page_offers_every_version_from_local_assets(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    html = page.text
    for version in ("1", "2", "3"):
        assert f'"url": "/openapi/v{version}.json"' in html
    assert '"urls.primaryName": "v2"' in html
    assert "v1 (deprecated)" in html
    assert not re.search(r"https?://", html)  # no CDN
    for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', html):
        response = await client.get(asset)
        assert response.status_code == 200
        assert response.content == (ASSET_DIR / asset.rsplit("/", 1)[1]).read_bytes()


async def test_only_the_swagger_assets_are_served(client: httpx.AsyncClient) -> None:
    for name in ("index.html", "..%2F..%2Fpyproject.toml", "swagger-ui.js.map"):
        assert (await client.get(f"/docs/assets/{name}")).status_code == 404


async def test_a_retired_version_documents_410_only(versioned: ClientFactory) -> None:
    clock = Clock(datetime(2027, 6, 30, tzinfo=UTC).timestamp() - 1)
    async with versioned(clock, block_after_sunset=True) as client:
        before = operations((await client.get("/openapi/v1.json")).json())
        assert set(before[("get", "/v1/users")]["responses"]) == {"200", "4XX"}
        clock.now += 1
        document = (await client.get("/openapi/v1.json")).json()
        validate(document)
        for operation in operations(document).values():
            assert set(operation["responses"]) == {"410", "4XX"}
        current = operations((await client.get("/openapi/v2.json")).json())
        assert "200" in current[("get", "/v2/users")]["responses"]
