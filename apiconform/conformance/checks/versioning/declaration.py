"""VER-DEC-01/02/03: what ``@Version`` on a controller and on a route registers, seen over
HTTP. The manifest names the routes: a controller's (``controller``), a route whose own
versions override its controller's (``override``) and a route in several versions
(``shared``). A route is in a version when it answers 2xx asked in that version (the URI
prefix when the target supports it, else the header, else the media type) and out of it
when it does not.

The spec registers a route under its versions only; a target that serves a later
version's missing routes from an earlier version (a fallback the spec does not have)
would fail "only in its version" for a controller's routes asked in a later version.
"""

from __future__ import annotations

from apiconform.conformance.checks.versioning.probes import (
    by_version,
    content,
    live_versions,
    section,
    version_key,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import CheckSkipped, check, expect


def _outside(live: list[str], inside: list[str]) -> str | None:
    """A live version a route is not declared in: the highest below its versions (no
    fallback can reach down to it), else the lowest above them."""
    others = [v for v in live if v not in inside]
    if not others:
        return None
    low = min(inside, key=version_key)
    below = [v for v in others if version_key(v) < version_key(low)]
    return below[-1] if below else others[0]


@check("VER-DEC-01")
def controller_routes_live_in_its_version(ctx: CheckContext) -> None:
    """WHEN @Version is applied to a controller THEN all routes in that controller use the
    specified version (each of ``versioning.controller.paths`` answers in it, and not in
    another live version), AND the routes are registered with the version prefix."""
    probes = section(ctx)
    declared = probes.controller
    if not declared:
        raise CheckSkipped("the target declares no versioned controller (versioning.controller)")
    live = live_versions(probes)
    if declared.version not in live:
        raise CheckSkipped(f"versioning.controller: version {declared.version} is past its sunset")
    client = ctx.client()
    for path in declared.paths:
        response = by_version(ctx, client, declared.version, path)
        expect(
            response.is_success,
            "VER-DEC-01.registered",
            f"{path} in version {declared.version} answered {response.status_code}: not every "
            "route of the controller is registered in its version",
        )
    other = _outside(live, [declared.version])
    if other is None:
        ctx.unchecked("no other live version to ask the controller's routes in")
        return
    for path in declared.paths:
        response = by_version(ctx, client, other, path)
        expect(
            not response.is_success,
            "VER-DEC-01.only-its-version",
            f"{path} in version {other} answered {response.status_code}: the controller's "
            f"routes are not confined to version {declared.version}",
        )


@check("VER-DEC-02")
def route_versions_override_the_controllers(ctx: CheckContext) -> None:
    """WHEN a route has a different @Version than its controller THEN the route-level
    version takes precedence (``versioning.override.path`` does not answer in the
    controller's version), AND the route is registered under the versions it names."""
    probes = section(ctx)
    override = probes.override
    if not override:
        raise CheckSkipped("the target declares no route overriding its controller's version")
    live = live_versions(probes)
    own = [v for v in override.versions if v in live]
    if not own:
        raise CheckSkipped(f"versioning.override names no live version: {override.versions}")
    client = ctx.client()
    for version in own:
        response = by_version(ctx, client, version, override.path)
        expect(
            response.is_success,
            "VER-DEC-02.registered",
            f"{override.path} in version {version} answered {response.status_code}: the route "
            f"is not registered under its own versions ({', '.join(override.versions)})",
        )
    if override.controller_version not in live:
        ctx.unchecked(f"the controller's version {override.controller_version} is past its sunset")
        return
    response = by_version(ctx, client, override.controller_version, override.path)
    expect(
        not response.is_success,
        "VER-DEC-02.precedence",
        f"{override.path} in the controller's version {override.controller_version} answered "
        f"{response.status_code}: the route's own versions do not take precedence",
    )


@check("VER-DEC-03")
def one_handler_serves_each_listed_version(ctx: CheckContext) -> None:
    """WHEN a route specifies an array of versions THEN the system registers the route for
    all of them, AND the same handler serves them: ``versioning.shared.path`` answers,
    alike, in each of its live versions. (Whether it stays out of the versions it does not
    list is VER-DOC-03's business: each version's document holds only its own routes.)"""
    probes = section(ctx)
    shared = probes.shared
    if not shared:
        raise CheckSkipped("the target declares no route in several versions (versioning.shared)")
    live = live_versions(probes)
    listed = [v for v in shared.versions if v in live]
    if len(listed) < 2:
        raise CheckSkipped(f"versioning.shared names fewer than two live versions: {listed}")
    client = ctx.client()
    answers: dict[str, object] = {}
    for version in listed:
        response = by_version(ctx, client, version, shared.path)
        expect(
            response.is_success,
            "VER-DEC-03.registered",
            f"{shared.path} in version {version} answered {response.status_code}: the route "
            f"is not registered for every version it lists ({', '.join(shared.versions)})",
        )
        answers[version] = content(response)
    expect(
        all(answer == answers[listed[0]] for answer in answers.values()),  # key order aside
        "VER-DEC-03.same-handler",
        f"{shared.path} answers differently in versions {', '.join(answers)}: "
        f"not one handler ({answers})",
    )
