"""VER-HDR-02, VER-MEDIA-01 and VER-MEDIA-02: an unsupported header version is refused,
and a versioned media type selects its version, the highest offered winning."""

from __future__ import annotations

from apiconform.conformance.checks.versioning.probes import (
    content,
    distinct_references,
    lists_versions,
    media_type,
    need,
    reference,
    two_versions,
    unsupported_version,
    vendor_type,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import check, expect


@check("VER-HDR-02")
def unsupported_header_version_is_400(ctx: CheckContext) -> None:
    """THEN the system returns HTTP 400, AND includes the list of supported versions in
    the error response. A target that serves its default instead fails."""
    probes = need(ctx, "header")
    resource = ctx.probe("versioning.resource")
    bogus = unsupported_version(probes)
    response = ctx.client().get(resource, headers={probes.header: bogus})
    served = " (it was served, as if no version had been asked for)" if response.is_success else ""
    expect(
        response.status_code == 400,
        "VER-HDR-02.status",
        f"{probes.header}: {bogus} (not supported) answered {response.status_code}{served}",
    )
    expect(
        lists_versions(content(response), probes.versions),
        "VER-HDR-02.lists-supported",
        f"the 400 does not list the supported versions {probes.versions}: {response.text[:300]}",
    )


@check("VER-MEDIA-01")
def vendor_media_type_selects_its_version(ctx: CheckContext) -> None:
    """THEN the system routes to the version the media type names, AND returns the
    response with the matching content type (exactly the vendor type)."""
    probes = need(ctx, "media_type")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    for version in two_versions(ctx):
        expected = reference(ctx, client, version, resource)
        wanted = vendor_type(probes, version)
        response = client.get(resource, headers={"Accept": wanted})
        expect(
            response.is_success,
            "VER-MEDIA-01.served",
            f"Accept: {wanted} answered {response.status_code}",
        )
        expect(
            content(response) == expected,
            "VER-MEDIA-01.selects-version",
            f"Accept: {wanted} was not answered as version {version} answers",
        )
        expect(
            media_type(response) == wanted.lower(),
            "VER-MEDIA-01.content-type",
            f"Accept: {wanted} answered Content-Type "
            f"{response.headers.get('content-type')!r}, not {wanted}",
        )


@check("VER-MEDIA-02")
def highest_offered_version_wins(ctx: CheckContext) -> None:
    """THEN the system selects the highest supported version whatever the order in
    Accept, a type with q=0 excluded, AND returns the response in that version."""
    probes = need(ctx, "media_type")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    low, low_body, high, high_body = distinct_references(ctx, client)
    offered = f"{vendor_type(probes, low)}, {vendor_type(probes, high)}"
    response = client.get(resource, headers={"Accept": offered})
    expect(
        response.is_success and content(response) == high_body,
        "VER-MEDIA-02.highest",
        f"Accept: {offered} was not answered as version {high} ({response.status_code})",
    )
    refused = f"{vendor_type(probes, high)};q=0, {vendor_type(probes, low)}"
    response = client.get(resource, headers={"Accept": refused})
    expect(
        response.is_success and content(response) == low_body,
        "VER-MEDIA-02.q-zero-excluded",
        f"Accept: {refused} was not answered as version {low} ({response.status_code})",
    )
