"""VER-URI-01/02/03, VER-HDR-01 and VER-NEG-01/02/03: versions named in the path and the
header, the default version (and its log line), the priority of the strategies, and the
response header naming the version that served."""

from __future__ import annotations

from apiconform.conformance import loglines
from apiconform.conformance.checks.versioning.probes import (
    content,
    distinct_references,
    need,
    section,
    vendor_type,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id, tagged
from apiconform.conformance.registry import CheckSkipped, check, expect


@check("VER-URI-01", "VER-URI-02")
def each_uri_version_has_its_own_answer(ctx: CheckContext) -> None:
    """THEN /v<N>/<path> routes to version N's handler and answers in version N's shape,
    AND two versions of one path keep separate handlers that answer differently."""
    probes = need(ctx, "uri")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    live = [
        v
        for v in probes.versions
        if not (probes.sunset_passed and v == probes.sunset_passed.version)
    ]
    if len(live) < 2:
        raise CheckSkipped("needs two versions that answer (versioning.versions)")
    answers = {}
    for version in live:
        response = client.get(probes.versioned(version, resource))
        expect(
            response.is_success,
            "VER-URI-01.served",
            f"{probes.versioned(version, resource)} answered {response.status_code}",
        )
        answers[version] = content(response)
    shapes = {repr(answer) for answer in answers.values()}
    expect(
        len(shapes) == len(answers),
        "VER-URI-02.differ",
        f"{resource} answers alike in versions {', '.join(answers)}: one handler serves them",
    )


@check("VER-URI-03")
def unversioned_path_gets_the_default(ctx: CheckContext) -> None:
    """THEN the system uses the configured default version, AND routes (or redirects,
    307/308 keeping the method) to the default version's endpoint."""
    probes = need(ctx, "uri")
    default = probes.default
    if default is None:
        raise CheckSkipped("the target declares no versioning.default")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    expected = client.get(probes.versioned(default, resource))
    if not expected.is_success:
        raise CheckSkipped(f"the default version's {resource} answered {expected.status_code}")
    response = client.get(resource)
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("location", "")
        expect(
            response.status_code in (307, 308)
            and location.split("?", 1)[0].endswith(probes.versioned(default, resource)),
            "VER-URI-03.redirect",
            f"{resource} redirected with {response.status_code} to {location!r}",
        )
        return
    expect(
        response.is_success and content(response) == content(expected),
        "VER-URI-03.default-served",
        f"{resource} was not answered as version {default} answers ({response.status_code})",
    )


@check("VER-HDR-01")
def header_selects_the_version(ctx: CheckContext) -> None:
    """THEN the system routes to the version the header names (on a path without one)."""
    probes = need(ctx, "header")
    if not probes.supports("uri"):
        raise CheckSkipped("needs URI versioning to compare versions' answers with")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    low, low_body, high, high_body = distinct_references(ctx, client)
    for version, body in ((low, low_body), (high, high_body)):
        response = client.get(resource, headers={probes.header: version})
        expect(
            response.is_success and content(response) == body,
            "VER-HDR-01.selects-version",
            f"{probes.header}: {version} was not answered as version {version} answers "
            f"({response.status_code})",
        )


@check("VER-NEG-01")
def strategies_apply_in_priority_order(ctx: CheckContext) -> None:
    """THEN the configured priority order decides, AND the URI version takes precedence
    over the header, AND the header over the media type."""
    probes = section(ctx)
    order = [s for s in ("uri", "header", "media_type") if probes.supports(s)]
    if len(order) < 2:
        raise CheckSkipped("needs two versioning strategies (versioning.strategies)")
    if probes.strategies != order:
        raise CheckSkipped(f"the target declares another priority: {probes.strategies}")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    low, low_body, high, _ = distinct_references(ctx, client)
    other = {probes.header: high, "Accept": vendor_type(probes, high)}
    if probes.supports("uri") and probes.supports("header"):
        response = client.get(probes.versioned(low, resource), headers=other)
        expect(
            response.is_success and content(response) == low_body,
            "VER-NEG-01.uri-first",
            f"version {low} in the URI with {other} was not answered as version {low}",
        )
    else:
        ctx.unchecked("URI over header: the target does not declare both")
    if probes.supports("header") and probes.supports("media_type"):
        both = {probes.header: low, "Accept": vendor_type(probes, high)}
        response = client.get(resource, headers=both)
        expect(
            response.is_success and content(response) == low_body,
            "VER-NEG-01.header-before-media",
            f"{both} was not answered as version {low} (the header's)",
        )
    else:
        ctx.unchecked("header over media type: the target does not declare both")


@check("VER-NEG-03")
def version_header_names_the_serving_version(ctx: CheckContext) -> None:
    """MAY include the version in a response header: when X-API-Version is sent, it names
    the version that served the request (each version named in the URI)."""
    probes = need(ctx, "uri")
    resource = ctx.probe("versioning.resource")
    client = ctx.client()
    seen = 0
    for path, version in [(probes.versioned(v, resource), v) for v in probes.versions]:
        response = client.get(path)
        named = response.headers.get("x-api-version")
        if not response.is_success or named is None:
            continue
        seen += 1
        expect(
            named.strip().lstrip("vV") == version,
            "VER-NEG-03.names-serving",
            f"{path} was served by version {version} but says X-API-Version: {named}",
        )
    if not seen:
        ctx.unchecked("the target sends no X-API-Version (optional)")


@check("VER-NEG-02")
def default_use_is_logged(ctx: CheckContext) -> None:
    """THEN the system uses the default version from config, AND logs the default version
    usage: a line of the request (it carries the request's correlation id) names the path
    and the default version."""
    probes = section(ctx)
    default = probes.default
    if default is None:
        raise CheckSkipped("the target declares no versioning.default")
    resource = ctx.probe("versioning.resource")
    output = ctx.process().output
    since = output.mark()
    correlation_id = new_id()
    response = ctx.client().get(resource, headers=tagged(correlation_id))
    if not (response.is_success or response.is_redirect):
        raise CheckSkipped(f"{resource} without a version answered {response.status_code}")

    def names_default(line: loglines.Line) -> bool:
        return loglines.carries(line, default) and loglines.has_path(line, resource)

    lines = loglines.wait_for_request(
        output,
        since,
        correlation_id,
        lambda found: any(names_default(x) for x in found),
        ctx.log_wait,
    )
    expect(
        any(names_default(x) for x in lines),
        "VER-NEG-02.logged",
        f"no log line of the request names {resource} and the default version {default} "
        f"({len(lines)} line(s) of the request)",
    )
