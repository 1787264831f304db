"""Declaring providers: lifetimes, the ``Inject`` marker, ``@service`` and ``@scope``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

T = TypeVar("T")
Token = type[Any] | str


class Lifetime(StrEnum):
    """How long a resolved instance lives."""

    SINGLETON = "singleton"
    SCOPED = "scoped"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class Inject:
    """Marks a parameter to be resolved by an explicit token: ``Annotated[Db, Inject("db")]``."""

    token: Token


_SERVICE_ATTR = "__apiconform_service__"


def service(cls: type[T] | None = None, *, lifetime: Lifetime | str = Lifetime.SINGLETON) -> Any:
    """Declare a class as a provider with a default lifetime (``@service`` or
    ``@service(lifetime="scoped")``)."""

    def mark(target: type[T]) -> type[T]:
        setattr(target, _SERVICE_ATTR, Lifetime(lifetime))
        return target

    return mark(cls) if cls is not None else mark


def scope(lifetime: Lifetime | str) -> Callable[[type[T]], type[T]]:
    """Set a provider's lifetime: ``@scope("scoped")`` (the spec's ``@Scope``)."""
    checked = Lifetime(lifetime)

    def mark(target: type[T]) -> type[T]:
        setattr(target, _SERVICE_ATTR, checked)
        return target

    return mark


def declared_lifetime(provider: object) -> Lifetime | None:
    """The lifetime set by ``@service``/``@scope`` on a class, if any."""
    value = getattr(provider, _SERVICE_ATTR, None)
    return value if isinstance(value, Lifetime) else None


def token_name(token: Token) -> str:
    return token if isinstance(token, str) else f"{token.__module__}.{token.__qualname__}"
