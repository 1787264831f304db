"""The documentation routes: ``/openapi.json`` (the versions), ``/openapi/v{n}.json``
(one version's document), ``/docs`` (Swagger UI) and its assets. Version neutral."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse, Response

from apiconform.reference.errors.exceptions import NotFound
from apiconform.reference.kernel.controllers import controller, get
from apiconform.reference.versioning.config import VersioningConfig
from apiconform.reference.versioning.decorator import version_neutral
from apiconform.reference.versioning.docs import asset, docs_page
from apiconform.reference.versioning.openapi import Documents


def documentation_controller(documents: Documents, config: VersioningConfig) -> type[Any]:
    """A controller class of its own for one application's documents."""
    page = docs_page(config, documents.title)

    @controller("", tags=["documentation"])
    @version_neutral
    class DocumentationController:
        @get("/openapi.json", include_in_schema=False)
        async def index(self) -> JSONResponse:
            return JSONResponse(documents.index())

        @get("/openapi/v{version}.json", include_in_schema=False)
        async def document(self, version: str) -> JSONResponse:
            found = documents.document(version)
            if found is None:
                raise NotFound(
                    "no OpenAPI document for this version",
                    extensions={"supportedVersions": config.supported},
                )
            return JSONResponse(found)

        @get("/docs", include_in_schema=False)
        async def docs(self) -> HTMLResponse:
            return HTMLResponse(page)

        @get("/docs/assets/{name}", include_in_schema=False)
        async def docs_asset(self, name: str) -> Response:
            found = asset(name)
            if found is None:
                raise NotFound("no such documentation asset")
            content, media_type = found
            return Response(
                content, media_type=media_type, headers={"Cache-Control": "max-age=86400"}
            )

    return DocumentationController
