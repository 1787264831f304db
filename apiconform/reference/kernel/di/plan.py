"""How to build a provider: its registration and the injectable parameters of its
constructor or factory, read once from the type hints."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apiconform.reference.kernel.di.declare import Inject, Lifetime, Token, token_name
from apiconform.reference.kernel.di.errors import DIError

if TYPE_CHECKING:
    from apiconform.reference.kernel.di.container import Container


@dataclass(frozen=True)
class Param:
    name: str
    token: Token
    has_default: bool


class Registration:
    """One provider and how to build it; the constructor plan is computed once."""

    __slots__ = (
        "factory",
        "is_async",
        "is_class",
        "lifetime",
        "optional",
        "owner",
        "params",
        "required",
        "token",
        "value",
    )

    def __init__(self, token: Token, provider: Any, lifetime: Lifetime, owner: Container) -> None:
        self.token = token
        self.lifetime = lifetime
        self.owner = owner
        self.value: Any = None
        self.factory: Callable[..., Any] | None = None
        self.params: tuple[Param, ...] = ()
        self.is_async = False
        self.is_class = inspect.isclass(provider)
        if callable(provider):
            self.factory = provider
            target = provider.__init__ if inspect.isclass(provider) else provider
            self.params = plan(target, token)
            self.is_async = not inspect.isclass(provider) and (
                inspect.iscoroutinefunction(provider)
            )
        else:
            self.value = provider
        self.required = tuple(p for p in self.params if not p.has_default)
        self.optional = tuple(p for p in self.params if p.has_default)


def plan(target: Callable[..., Any], token: Token) -> tuple[Param, ...]:
    """Read the injectable parameters of a constructor or factory from its type hints."""
    if target is object.__init__:
        return ()
    try:
        hints = typing.get_type_hints(target, include_extras=True)
    except NameError as exc:
        raise DIError(f"cannot read type hints of provider {token_name(token)}: {exc}") from exc
    params: list[Param] = []
    for param in inspect.signature(target).parameters.values():
        if param.name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        hint = hints.get(param.name)
        dep: Token | None = None
        if hint is not None and typing.get_origin(hint) is typing.Annotated:
            for meta in hint.__metadata__:
                if isinstance(meta, Inject):
                    dep = meta.token
            if dep is None:
                hint = typing.get_args(hint)[0]
        if dep is None and inspect.isclass(hint):
            dep = hint
        has_default = param.default is not param.empty
        if dep is None:
            if has_default:
                continue
            raise DIError(
                f"provider {token_name(token)}: parameter {param.name!r} has no injectable "
                "type hint and no default"
            )
        params.append(Param(param.name, dep, has_default))
    return tuple(params)
