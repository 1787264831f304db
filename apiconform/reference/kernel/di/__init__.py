"""A scoped dependency-injection container (the spec's ``IScopedContainer``).

Lifetimes:

* ``singleton`` -- one instance per owning container, shared by every child scope;
* ``scoped`` -- one instance per child scope (a request, say), never created in a root;
* ``transient`` -- a new instance for every resolution.

Providers are classes (constructed with their ``__init__`` type hints resolved from the
container), factories (sync or async callables whose parameters are injected the same way)
or ready values. Instances with ``aclose``/``dispose``/``close`` are closed when the
container that created them is disposed, in reverse creation order.
"""

from apiconform.reference.kernel.di.container import Container
from apiconform.reference.kernel.di.declare import (
    Inject,
    Lifetime,
    Token,
    declared_lifetime,
    scope,
    service,
    token_name,
)
from apiconform.reference.kernel.di.errors import (
    CircularDependencyError,
    DIError,
    DisposedError,
    LifetimeError,
    UnknownTokenError,
)
from apiconform.reference.kernel.di.plan import Registration

__all__ = [
    "CircularDependencyError",
    "Container",
    "DIError",
    "DisposedError",
    "Inject",
    "Lifetime",
    "LifetimeError",
    "Registration",
    "Token",
    "UnknownTokenError",
    "declared_lifetime",
    "scope",
    "service",
    "token_name",
]
