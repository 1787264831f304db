"""The versioning middleware's edges, driven directly."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from apiconform.reference.versioning.config import VersionConfig, VersioningConfig
from apiconform.reference.versioning.deprecation import DeprecationWarnings, deprecation_headers
from apiconform.reference.versioning.middleware import (
    CLIENT_PATH_KEY,
    VersioningMiddleware,
    _marked,
    restore_client_path,
)
from apiconform.reference.versioning.negotiation import Negotiator
from apiconform.reference.versioning.table import VersionTable
from tests.reference.versioning.conftest import ClientFactory


async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(str(scope["type"]))

    config = VersioningConfig()
    middleware = VersioningMiddleware(
        inner,  # type: ignore[arg-type]
        table=VersionTable(config),
        warnings=DeprecationWarnings(60, lambda: 0.0),
    )
    await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]


def test_restoring_the_client_path_keeps_or_drops_raw_path() -> None:
    scope: dict[str, object] = {"path": "/v2/x", "raw_path": b"/v2/x"}
    restore_client_path(scope)
    assert scope["path"] == "/v2/x"  # nothing was saved
    scope[CLIENT_PATH_KEY] = ("/x", None)
    restore_client_path(scope)
    assert scope == {"path": "/x"}
    scope.update({CLIENT_PATH_KEY: ("/y", b"/y"), "path": "/v2/y"})
    restore_client_path(scope)
    assert scope == {"path": "/y", "raw_path": b"/y"}


def test_a_deprecated_version_names_only_what_it_has() -> None:
    config = VersioningConfig(
        default="2",
        versions={"1": VersionConfig(deprecated=datetime(2026, 1, 1, tzinfo=UTC)), "2": {}},
    )
    assert deprecation_headers(config, "1", None) == [("Deprecation", "@1767225600")]
    assert deprecation_headers(config, "2", "/v3/x") == []


async def test_a_redirect_without_query_names_the_versioned_path(
    versioned: ClientFactory,
) -> None:
    async with versioned(redirect_unversioned=True) as client:
        response = await client.get("/users/3")
        assert (response.status_code, response.headers["location"]) == (308, "/v2/users/3")
        assert response.headers["vary"] == "X-API-Version, Accept"


async def test_a_version_parameter_on_another_type_is_no_version(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/users", headers={"Accept": "text/plain; version=1"})
    assert response.headers["x-api-version"] == "2"


def test_marking_replaces_merges_and_retypes_only_what_it_owns() -> None:
    raw = [
        (b"Content-Type", b"application/json; charset=utf-8"),
        (b"vary", b"Origin"),
        (b"x-api-version", b"9"),  # set by the handler: the middleware's value replaces it
        (b"vary", b"Cookie"),
        (b"link", b"</page/2>; rel=next"),
    ]
    marks = [(b"x-api-version", b"2")]
    vary = b"X-API-Version, Accept"
    vendor = "application/vnd.cmmv.v2+json"
    marked = _marked(raw, marks, frozenset({b"x-api-version"}), vary, vendor)
    assert marked == [
        (b"Content-Type", vendor.encode()),
        (b"vary", b"Origin, X-API-Version, Accept"),  # the first Vary grows, once
        (b"vary", b"Cookie"),
        (b"link", b"</page/2>; rel=next"),
        (b"x-api-version", b"2"),
    ]
    plain = _marked([(b"content-type", b"text/plain")], marks, frozenset(), vary, vendor)
    assert plain == [(b"content-type", b"text/plain"), *marks, (b"vary", vary)]
    # no vendor type asked for: JSON stays JSON
    json_only = _marked([(b"content-type", b"application/json")], [], frozenset(), vary, None)
    assert json_only == [(b"content-type", b"application/json"), (b"vary", vary)]


def test_the_version_header_and_accept_are_read_first_wins_any_case() -> None:
    negotiator = Negotiator(VersioningConfig(header="X-Version"))
    raw = [(b"ACCEPT", b"text/html"), (b"x-version", b"2"), (b"X-Version", b"3"), (b"accept", b"x")]
    assert negotiator.request_headers(raw) == ("2", "text/html")
    assert negotiator.request_headers([]) == (None, "")
