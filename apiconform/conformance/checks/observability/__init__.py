"""Checks of add-health-observability (``OBS-*``), one module per concept; importing the
package registers them.

The target answers the probes the manifest's ``[observability]`` section names (the
spec's literal paths by default) and names a route with a path parameter and the
template it reports as the ``path`` label.
"""

from apiconform.conformance.checks.observability import (
    database,
    health,
    labels,
    logs,
    metrics,
    probes,
    resources,
    tracing,
)

__all__ = ["database", "health", "labels", "logs", "metrics", "probes", "resources", "tracing"]
