"""Conformance checks, one module per proposal; importing this package registers them."""

from apiconform.conformance.checks import errors, scopes

__all__ = ["errors", "scopes"]
