"""ERR-REG-01..03 and ERR-ORDER-01: where exception filters apply and in which order,
seen from outside through probe routes whose filters stamp distinct problem types.

The probe API (``[errors.filters]``): three filters catch the same exception and each
answers a problem whose ``type`` names it (``types.route``, ``types.controller``,
``types.global``). ``route`` is a route with its own filter, in a controller with a
filter; ``controller`` is another route of that controller, without a route filter;
``unfiltered`` is a route of another controller. Every filter declines (passes the
exception on) when the ``X-Apiconform-Decline`` request header names its level.
"""

from __future__ import annotations

from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body
from apiconform.conformance.evidence import TargetClient
from apiconform.conformance.registry import check, expect

DECLINE_HEADER = "X-Apiconform-Decline"


class Stamps:
    """Which filter answered a request to a filter probe."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self.types = ctx.manifest.errors.filters.types
        self.client: TargetClient = ctx.client()

    def path(self, which: str) -> str:
        path: str = self.ctx.probe(f"errors.filters.{which}")
        return path

    def handler(self, which: str, *declined: str) -> str:
        """The level (``route``/``controller``/``global``) whose filter answered, or a
        description of the answer when none of them did."""
        headers = {DECLINE_HEADER: ",".join(declined)} if declined else {}
        response = self.client.get(self.path(which), headers=headers)
        body = json_body(response)
        stamp = body.get("type") if isinstance(body, dict) else None
        for level, stamped in self.types.items():
            if stamp == stamped:
                return level
        return f"no probe filter (answer {response.status_code}, type {stamp!r})"


@check("ERR-REG-01")
def global_filters_apply_everywhere(ctx: CheckContext) -> None:
    """A filter registered at application creation handles exceptions of every
    controller: one without filters, and one whose own filters pass it on."""
    stamps = Stamps(ctx)
    found = stamps.handler("unfiltered")
    expect(
        found == "global",
        "ERR-REG-01.unfiltered",
        f"a route of a controller without filters was handled by: {found}",
    )
    found = stamps.handler("route", "route", "controller")
    expect(
        found == "global",
        "ERR-REG-01.everywhere",
        f"with its route and controller filters declining, a route was handled by: {found}",
    )


@check("ERR-REG-02")
def controller_filters_cover_their_controller(ctx: CheckContext) -> None:
    """A controller's filter handles its routes before the global filter, and no route of
    another controller."""
    stamps = Stamps(ctx)
    found = stamps.handler("controller")
    expect(
        found == "controller",
        "ERR-REG-02.outranks-global",
        f"a route of a controller with a filter was handled by: {found}",
    )
    found = stamps.handler("unfiltered")
    expect(
        found != "controller",
        "ERR-REG-02.own-controller-only",
        "another controller's filter handled a route of a controller without filters",
    )


@check("ERR-REG-03")
def route_filters_cover_their_route(ctx: CheckContext) -> None:
    """A route's filter handles that route before every other filter, and no other route
    of its controller."""
    stamps = Stamps(ctx)
    found = stamps.handler("route")
    expect(
        found == "route",
        "ERR-REG-03.highest",
        f"a route with its own filter was handled by: {found}",
    )
    found = stamps.handler("controller")
    expect(
        found != "route",
        "ERR-REG-03.own-route-only",
        "a route's filter handled another route of its controller",
    )


@check("ERR-ORDER-01")
def filters_run_route_then_controller_then_global(ctx: CheckContext) -> None:
    """Matching filters run route, then controller, then global; the first that handles
    the exception answers it."""
    stamps = Stamps(ctx)
    found = stamps.handler("route")
    expect(
        found == "route", "ERR-ORDER-01.route-first", f"the route filter did not run first: {found}"
    )
    found = stamps.handler("route", "route")
    expect(
        found == "controller",
        "ERR-ORDER-01.controller-next",
        f"with the route filter declining, the exception was handled by: {found}",
    )
    found = stamps.handler("route", "route", "controller")
    expect(
        found == "global",
        "ERR-ORDER-01.global-last",
        f"with route and controller filters declining, the exception was handled by: {found}",
    )
