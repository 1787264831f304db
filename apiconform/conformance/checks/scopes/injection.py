"""SCOPE-DI-01..03: provider lifetimes as the request-ids probe shows them."""

from __future__ import annotations

from apiconform.conformance.checks.scopes.probes import clients, request_ids
from apiconform.conformance.context import CheckContext
from apiconform.conformance.registry import check, expect


@check("SCOPE-DI-01")
def singleton_is_one_instance_per_scope(ctx: CheckContext) -> None:
    """A singleton provider is the same instance in every request to one application,
    and each application (scope) has its own."""
    singletons = {}
    for client in clients(ctx):
        seen = [request_ids(ctx, client)["singleton"] for _ in range(3)]
        expect(
            len(set(map(str, seen))) == 1,
            "SCOPE-DI-01.same-instance",
            f"{client.base_url}: the singleton changed between requests: {seen}",
        )
        singletons[client.base_url] = seen[0]
    if len(singletons) < 2:
        ctx.unchecked("one instance per scope needs two applications ([[scopes.apps]])")
        return
    expect(
        len(set(map(str, singletons.values()))) == len(singletons),
        "SCOPE-DI-01.per-scope",
        f"applications share a singleton instance: {singletons}",
    )


@check("SCOPE-DI-02")
def scoped_provider_is_per_request(ctx: CheckContext) -> None:
    """A scoped provider is one instance within a request and a new one in the next."""
    client = ctx.client()
    one = request_ids(ctx, client)
    two = request_ids(ctx, client)
    for ids in (one, two):
        expect(
            ids["first"] == ids["second"],
            "SCOPE-DI-02.shared-within",
            f"two resolutions in one request gave {ids['first']} and {ids['second']}",
        )
    expect(
        one["first"] != two["first"],
        "SCOPE-DI-02.new-per-request",
        f"two requests shared the scoped instance {one['first']}",
    )


@check("SCOPE-DI-03")
def transient_is_new_at_every_injection(ctx: CheckContext) -> None:
    """A transient provider is a new instance at every injection; none is cached across
    requests either."""
    client = ctx.client()
    one = request_ids(ctx, client)["transient"]
    expect(
        one[0] != one[1],
        "SCOPE-DI-03.new-per-injection",
        f"two injections in one request shared transient {one[0]}",
    )
    two = request_ids(ctx, client)["transient"]
    shared = set(map(str, one)) & set(map(str, two))
    expect(
        not shared,
        "SCOPE-DI-03.not-cached",
        f"a transient instance came back in the next request: {sorted(shared)}",
    )
