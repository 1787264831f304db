"""Probe routes for where exception filters apply and in which order (ERR-REG-01..03,
ERR-ORDER-01).

Three filters catch :class:`FilterProbeError`, each answering a problem whose type names
it: one global (registered with the app's error handling), one on
:class:`FilteredController`, one on its ``/route`` route. A filter passes the exception on
when the ``X-Apiconform-Decline`` header names its level, so a client can see the next
one in the chain answer.
"""

from __future__ import annotations

from apiconform.reference.errors.filters import ArgumentsHost, catch, use_filters
from apiconform.reference.errors.problem import Problem
from apiconform.reference.kernel import controller, get

DECLINE_HEADER = "x-apiconform-decline"


class FilterProbeError(Exception):
    """Raised by every filter probe route; only the probe filters catch it."""


def _declined(host: ArgumentsHost, level: str) -> bool:
    request = host.switch_to_http().get_request()
    return level in {part.strip() for part in request.headers.get(DECLINE_HEADER, "").split(",")}


def _stamp(host: ArgumentsHost, level: str) -> Problem | None:
    if _declined(host, level):
        return None
    return Problem(
        status=400,
        title=f"Handled by the {level} filter",
        detail=f"The {level} exception filter answered this error.",
        type=f"/problems/probe-{level}-filter",
    )


@catch(FilterProbeError)
class RouteStampFilter:
    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem | None:
        return _stamp(host, "route")


@catch(FilterProbeError)
class ControllerStampFilter:
    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem | None:
        return _stamp(host, "controller")


@catch(FilterProbeError)
class GlobalStampFilter:
    def catch(self, exc: Exception, host: ArgumentsHost) -> Problem | None:
        return _stamp(host, "global")


# registered as global filters by the demo's error handling
GLOBAL_FILTERS: list[object] = [GlobalStampFilter]


@controller("errors/filters")
@use_filters(ControllerStampFilter)
class FilteredController:
    """A controller with a filter; one of its routes has a filter of its own."""

    @get("/route")
    @use_filters(RouteStampFilter)
    async def with_route_filter(self) -> None:
        raise FilterProbeError("raised under route, controller and global filters")

    @get("/controller")
    async def without_route_filter(self) -> None:
        raise FilterProbeError("raised under controller and global filters")


@controller("errors/unfiltered")
class UnfilteredController:
    """A controller without filters: only the global filter applies."""

    @get("")
    async def unfiltered(self) -> None:
        raise FilterProbeError("raised under the global filter only")
