"""Checks of add-api-versioning (``VER-*``), one module per concept; importing the package
registers them.

The manifest's ``[versioning]`` section says which strategies the target supports (in its
priority order), how each names a version (header name, vendor, URI prefix), the
versions, a ``resource`` that two or more versions serve with different shapes, and a
``deprecated`` version with a path it serves. A strategy the target does not declare makes
its checks skip, never fail.
"""

from apiconform.conformance.checks.versioning import (
    declaration,
    deprecation,
    documents,
    negotiation,
    routing,
    startup,
)

__all__ = ["declaration", "deprecation", "documents", "negotiation", "routing", "startup"]
