"""The middleware stack of an application, built in one place.

Every middleware declares a :class:`~apiconform.reference.kernel.feature.Layer`; the stack
is assembled from the sorted list, outermost first (telemetry, scope and correlation,
errors, guards, versioning, routing), around the FastAPI app that routes and validates.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp

from apiconform.reference.kernel.feature import Middleware


def ordered(middleware: Iterable[Middleware]) -> list[Middleware]:
    """Outermost first: by layer, then by ``order``; ties keep their given order."""
    return sorted(middleware, key=lambda m: (m.layer, m.order))


def build_stack(core: ASGIApp, middleware: Iterable[Middleware]) -> ASGIApp:
    """``core`` wrapped by every middleware, the first of :func:`ordered` outermost."""
    app = core
    for layer in reversed(ordered(middleware)):
        app = layer.build(app)
    return app
