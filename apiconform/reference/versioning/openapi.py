"""One OpenAPI document per version: only the operations registered in that version,
under their versioned paths, ``info.version`` set to it, deprecated operations marked;
and an index of the versions."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from apiconform.reference.versioning.config import VersioningConfig
from apiconform.reference.versioning.deprecation import Clock, sunset_passed
from apiconform.reference.versioning.table import VERSION_KEY


def document_path(version: str) -> str:
    return f"/openapi/v{version}.json"


def routes_of(routes: list[BaseRoute], version: str) -> list[BaseRoute]:
    """The routes registered in ``version``."""
    return [
        route
        for route in routes
        if isinstance(route, APIRoute)
        and route.include_in_schema
        and (route.openapi_extra or {}).get(VERSION_KEY) == version
    ]


PROBLEM_TYPE = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "supportedVersions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["type", "title", "status"],
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def with_problems(document: dict[str, Any], *, retired: bool = False) -> dict[str, Any]:
    """Errors as the reference answers them: every 4xx of every operation is an
    ``application/problem+json`` document (FastAPI documents its 422 as plain JSON).
    ``retired``: the version is past its sunset, every operation answers 410 only."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status in [status for status in responses if status.startswith("4")]:
                del responses[status]
            problem = {"content": {PROBLEM_TYPE: {"schema": _PROBLEM_REF}}}
            if retired:
                responses.clear()
                responses["410"] = {"description": "The version was retired", **problem}
            responses["4XX"] = {"description": "A client error, as a problem document", **problem}
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


class Documents:
    """The per-version documents of one application, built once on first use (routes do
    not change once the application is assembled)."""

    def __init__(self, config: VersioningConfig, title: str, clock: Clock) -> None:
        self.config = config
        self.title = title
        self.clock = clock
        self.http: FastAPI | None = None
        self._cache: dict[str, dict[str, Any]] = {}

    def document(self, version: str) -> dict[str, Any] | None:
        """The OpenAPI document of ``version``; None when there is no such version. The
        operations of a version retired at its sunset answer only 410."""
        if version not in self.config.versions or self.http is None:
            return None
        retired = self.config.block_after_sunset and sunset_passed(
            self.config, version, self.clock()
        )
        found = self._cache.get(f"{version}:{retired}")
        if found is None:
            settings = self.config.versions[version]
            description = f"Version {version} of the API."
            if settings.is_deprecated:
                successor = settings.successor
                description += " Deprecated" + (f"; use version {successor}." if successor else ".")
            found = with_problems(
                get_openapi(
                    title=self.title,
                    version=version,
                    description=description,
                    routes=routes_of(self.http.routes, version),
                ),
                retired=retired,
            )
            self._cache[f"{version}:{retired}"] = found
        return found

    def index(self) -> dict[str, Any]:
        """The versions and where their documents are."""
        return {
            "default": self.config.default,
            "versions": [
                {
                    "version": version,
                    "url": document_path(version),
                    "deprecated": self.config.versions[version].is_deprecated,
                }
                for version in self.config.supported
            ],
        }
