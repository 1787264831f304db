"""Conformance checks, one module per proposal; importing this package registers them."""

from apiconform.conformance.checks import scopes

__all__ = ["scopes"]
