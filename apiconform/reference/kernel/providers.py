"""Explicit provider registrations for an application's container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apiconform.reference.kernel.di import Container, Lifetime, Token


@dataclass(frozen=True)
class Provider:
    """An explicit registration: ``Provider(token, use=factory_or_class, lifetime=...)``,
    or ``Provider(token, value=instance)``."""

    token: Token
    use: Any = None
    lifetime: Lifetime | str | None = None
    value: Any = None


ProviderSpec = type[Any] | Provider


def register(container: Container, spec: ProviderSpec) -> None:
    """Register a class (its own token) or a :class:`Provider` in ``container``."""
    if isinstance(spec, Provider):
        if spec.use is None:
            container.register_value(spec.token, spec.value)
        else:
            container.register(spec.token, spec.use, spec.lifetime)
    else:
        container.register(spec)
