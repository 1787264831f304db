"""Deprecated versions: served with Deprecation, Sunset and Link; a warning logged once
per version and route per interval; 410 after the sunset when blocking is on."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from apiconform.reference.versioning.config import VersionConfig
from apiconform.reference.versioning.deprecation import deprecation_value
from tests.conftest import LogCapture
from tests.reference.versioning.conftest import ClientFactory, Clock

DEPRECATED_AT = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
SUNSET = datetime(2027, 6, 30, tzinfo=UTC)


async def test_a_deprecated_version_answers_with_rfc_9745_and_8594_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/users")
    assert response.status_code == 200
    assert response.json() == {"data": [{"full_name": "Ada Lovelace"}]}
    assert response.headers["deprecation"] == f"@{DEPRECATED_AT}"
    assert response.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert parsedate_to_datetime(response.headers["sunset"]) == SUNSET
    assert response.headers["link"] == (
        '<https://example.com/deprecation>; rel="deprecation"; type="text/html", '
        '</v2/users>; rel="successor-version"'
    )


async def test_the_successor_link_keeps_the_resource(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/12", headers={"X-API-Version": "1"})
    assert '</v2/users/12>; rel="successor-version"' in response.headers["link"]
    hostile = await client.get("/v1/users/%0d%0aSet-Cookie:x")
    assert hostile.status_code == 422  # the id is no integer; no header was split
    assert "set-cookie" not in hostile.headers


async def test_current_versions_carry_no_deprecation_headers(client: httpx.AsyncClient) -> None:
    for path in ("/v2/users", "/users", "/v3/users/1"):
        response = await client.get(path)
        assert response.status_code == 200
        assert not {"deprecation", "sunset", "link"} & set(response.headers)


async def test_the_seed_true_form_is_available(versioned: ClientFactory) -> None:
    async with versioned(deprecation_format="true") as client:
        assert (await client.get("/v1/users")).headers["deprecation"] == "true"


def test_deprecated_without_date_uses_the_true_form() -> None:
    assert deprecation_value(VersionConfig(deprecated=True), "true") == "true"
    dated = VersionConfig(deprecated=datetime(2026, 1, 1, tzinfo=UTC))
    assert deprecation_value(dated, "date") == f"@{DEPRECATED_AT}"
    assert deprecation_value(dated, "true") == "true"


async def test_the_warning_is_logged_once_per_version_and_route_per_interval(
    versioned: ClientFactory, logs: LogCapture
) -> None:
    clock = Clock()
    async with versioned(clock, warning_interval=60) as client:
        for _ in range(3):
            await client.get("/v1/users")
        await client.get("/users", headers={"X-API-Version": "1"})  # same route
        await client.get("/v1/users/3")  # another route
        await client.get("/v2/users")
        warnings = logs.lines(message="deprecated API version used")
        assert [(w["version"], w["route"]) for w in warnings] == [
            ("1", "/v1/users"),
            ("1", "/v1/users/{user_id}"),
        ]
        assert warnings[0]["level"] == "warning"
        assert warnings[0]["successor"] == "2"
        assert warnings[0]["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
        clock.now += 59
        await client.get("/v1/users")
        assert len(logs.lines(message="deprecated API version used")) == 2
        clock.now += 1
        await client.get("/v1/users")
        assert len(logs.lines(message="deprecated API version used")) == 3


async def test_after_the_sunset_a_blocked_version_is_410_naming_its_successor(
    versioned: ClientFactory,
) -> None:
    clock = Clock(SUNSET.timestamp() - 1)
    async with versioned(clock, block_after_sunset=True) as client:
        assert (await client.get("/v1/users")).status_code == 200
        clock.now += 1
        for response in (
            await client.get("/v1/users"),
            await client.get("/users", headers={"X-API-Version": "1"}),
        ):
            assert response.status_code == 410
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["detail"] == "version 1 was retired; use version 2"
            assert body["instance"] == response.request.url.path
            assert '</v2/users>; rel="successor-version"' in response.headers["link"]
            assert response.headers["x-api-version"] == "1"
        assert (await client.get("/v2/users")).status_code == 200
        assert (await client.delete("/v1/users")).status_code == 405
        assert (await client.get("/v1/nothing")).status_code == 404


async def test_after_the_sunset_without_blocking_the_version_still_answers(
    versioned: ClientFactory,
) -> None:
    async with versioned(Clock(SUNSET.timestamp() + 86400)) as client:
        response = await client.get("/v1/users")
        assert response.status_code == 200
        assert response.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
