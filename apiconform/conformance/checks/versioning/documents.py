"""VER-DOC-01/02/03, VER-OAPI-01 and VER-CFG-02: one OpenAPI document per version, with
only that version's operations under its prefix, each operation stating its version, the
deprecated ones marked, and a docs page offering every document."""

from __future__ import annotations

from typing import Any

from apiconform.conformance.checks.versioning.probes import (
    content,
    live_versions,
    need,
    section,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import CheckSkipped, check, expect

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def document_path(ctx: CheckContext, version: str) -> str:
    template = ctx.probe("versioning.openapi")
    if "{version}" not in template:
        raise CheckSkipped("versioning.openapi names no {version}")
    return str(template.replace("{version}", version))


def documents(ctx: CheckContext, client: TargetClient) -> dict[str, dict[str, Any]]:
    """Each live version's document (a 2xx JSON object, else the check fails)."""
    found: dict[str, dict[str, Any]] = {}
    for version in live_versions(section(ctx)):
        path = document_path(ctx, version)
        response = client.get(path)
        body = content(response)
        expect(
            response.is_success and isinstance(body, dict) and isinstance(body.get("paths"), dict),
            "document.served",
            f"{path} answered {response.status_code}, not an OpenAPI document",
        )
        found[version] = body
    if not found:
        raise CheckSkipped("the target declares no version that answers")
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        if isinstance(item, dict)
        for method, operation in item.items()
        if method in METHODS and isinstance(operation, dict)
    ]


@check("VER-DOC-03")
def each_document_holds_only_its_version(ctx: CheckContext) -> None:
    """WHEN /openapi/v<N>.json is requested THEN it is the spec of version N only
    (``info.version``), AND it includes only the endpoints of that version (no path under
    another version's prefix), the declared resource among them."""
    probes = section(ctx)
    resource = ctx.probe("versioning.resource")
    for version, document in documents(ctx, ctx.client()).items():
        stated = str((document.get("info") or {}).get("version", "")).lstrip("vV")
        expect(
            stated == version or stated.startswith(f"{version}."),
            "VER-DOC-03.info-version",
            f"the document of version {version} says info.version {stated!r}",
        )
        others = [probes.versioned(v, "/") for v in probes.versions if v != version]
        leaked = sorted(p for p in document["paths"] if any(p.startswith(o) for o in others))
        expect(not leaked, "VER-DOC-03.isolation", f"version {version}'s document has {leaked}")
        expect(
            probes.versioned(version, resource) in document["paths"],
            "VER-DOC-03.has-resource",
            f"version {version}'s document lacks {probes.versioned(version, resource)}",
        )


@check("VER-DOC-01")
def deprecated_operations_are_marked(ctx: CheckContext) -> None:
    """THEN the system creates a separate spec for each version, AND marks deprecated
    endpoints (every operation of a deprecated version has ``deprecated: true``)."""
    deprecated = ctx.probe("versioning.deprecated")
    client = ctx.client()
    found = documents(ctx, client)
    expect(
        len({repr(d["paths"]) for d in found.values()}) == len(found),
        "VER-DOC-01.separate",
        f"versions {', '.join(found)} share one document",
    )
    if deprecated.version not in found:
        raise CheckSkipped(f"deprecated version {deprecated.version} has no document")
    unmarked = [
        f"{method.upper()} {path}"
        for method, path, operation in operations(found[deprecated.version])
        if operation.get("deprecated") is not True
    ]
    expect(
        not unmarked,
        "VER-DOC-01.deprecated-marked",
        f"operations of deprecated version {deprecated.version} not marked: {unmarked}",
    )


@check("VER-OAPI-01")
def operations_state_their_version(ctx: CheckContext) -> None:
    """THEN paths include the version prefix, AND each version has its own operation
    definitions (operationIds differ between versions), AND the version is in each
    operation's metadata (``x-api-version``)."""
    probes = section(ctx)
    seen: dict[str, str] = {}
    for version, document in documents(ctx, ctx.client()).items():
        prefix = probes.versioned(version, "/")
        for method, path, operation in operations(document):
            where = f"{method.upper()} {path} (version {version})"
            expect(
                path.startswith(prefix) or path == prefix.rstrip("/"),
                "VER-OAPI-01.prefixed",
                f"{where} is not under {prefix}",
            )
            stated = str(operation.get("x-api-version", "")).lstrip("vV")
            expect(stated == version, "VER-OAPI-01.x-api-version", f"{where}: {stated!r}")
            operation_id = operation.get("operationId")
            if operation_id is None:
                continue
            other = seen.setdefault(str(operation_id), version)
            expect(
                other == version,
                "VER-OAPI-01.operation-ids",
                f"operationId {operation_id!r} is in versions {other} and {version}",
            )


@check("VER-CFG-02")
def prefix_applies_to_routes_and_documents(ctx: CheckContext) -> None:
    """THEN the configured prefix is accepted, AND applied to every versioned route (the
    resource answers under it in each version), AND to the OpenAPI paths."""
    probes = need(ctx, "uri")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    for version in live_versions(probes):
        path = probes.versioned(version, resource)
        response = client.get(path)
        expect(response.is_success, "VER-CFG-02.routes", f"{path} answered {response.status_code}")
    outside = [
        f"{path} (version {version})"
        for version, document in documents(ctx, client).items()
        for path in document["paths"]
        if not path.startswith(f"/{probes.uri_prefix.lstrip('/')}")
    ]
    expect(not outside, "VER-CFG-02.documents", f"document paths without the prefix: {outside}")


@check("VER-DOC-02")
def docs_page_offers_every_version(ctx: CheckContext) -> None:
    """THEN the docs UI provides a version selector: its page references every version's
    document (as Swagger UI's ``urls`` option does)."""
    docs = ctx.probe("versioning.docs")
    response = ctx.client().get(docs)
    expect(response.is_success, "VER-DOC-02.served", f"{docs} answered {response.status_code}")
    missing = [
        document_path(ctx, version)
        for version in live_versions(section(ctx))
        if document_path(ctx, version) not in response.text
    ]
    expect(not missing, "VER-DOC-02.lists-documents", f"{docs} does not offer {missing}")
