"""Checks of add-error-handling (``ERR-*``), one module per concept; importing the package
registers them.

The manifest's ``[errors]`` section names the probe routes (the reference demo's by
default): one trigger per exception kind, a crash, a validation target, a route that
creates a unique resource, a database probe, a route with a fallback and its dependency
switch, a retried and a circuit-broken route, and the filter probes.
"""

from apiconform.conformance.checks.errors import (
    database,
    details,
    error_log,
    exceptions,
    exposure,
    filters,
    monitoring,
    resilience,
)

__all__ = [
    "database",
    "details",
    "error_log",
    "exceptions",
    "exposure",
    "filters",
    "monitoring",
    "resilience",
]
