"""Errors of the DI container."""

from __future__ import annotations

from apiconform.errors import ApiconformError


class DIError(ApiconformError):
    """Base of container errors."""


class UnknownTokenError(DIError):
    """Nothing is registered under the requested token."""


class CircularDependencyError(DIError):
    """Resolving a token needs the token itself."""


class LifetimeError(DIError):
    """A resolution would break a lifetime rule (a scoped service in a root, say)."""


class DisposedError(DIError):
    """The container has been disposed."""
