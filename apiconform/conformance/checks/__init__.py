"""Conformance checks, one package per proposal and one module per concept; importing this
package registers them."""

from apiconform.conformance.checks import (
    auth,
    errors,
    observability,
    scopes,
    throttling,
    versioning,
)

__all__ = ["auth", "errors", "observability", "scopes", "throttling", "versioning"]
