"""``@version``: the versions a controller or a route belongs to."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from apiconform.errors import ConfigError
from apiconform.reference.kernel.feature import RouteDef
from apiconform.reference.versioning.parse import VERSION_PATTERN

T = TypeVar("T")
_ATTR = "__apiconform_versions__"
_VERSION = re.compile(VERSION_PATTERN)


class VersionDeclarationError(ConfigError):
    """``@version`` was given something that is not a version."""


def version(*versions: str) -> Callable[[T], T]:
    """Put a controller (all its routes) or one route in ``versions``.

    A route's own ``@version`` overrides its controller's; a route in several versions is
    registered once per version, with the same handler::

        @controller("users")
        @version("2")
        class UsersV2:
            @get()
            @version("2", "3")
            def list_users(self) -> list[User]: ...
    """
    if not versions:
        raise VersionDeclarationError("@version needs at least one version")
    for value in versions:
        if not isinstance(value, str) or not _VERSION.fullmatch(value):
            raise VersionDeclarationError(f"@version: {value!r} is not spelled like '2' or '1.1'")
    declared = tuple(dict.fromkeys(versions))

    def mark(target: T) -> T:
        setattr(target, _ATTR, declared)
        return target

    return mark


def version_neutral(target: T) -> T:
    """Keep a controller or route outside every version: served at its own path whatever
    version a request names (documentation routes, health checks)."""
    setattr(target, _ATTR, ())
    return target


def declared_versions(definition: RouteDef) -> tuple[str, ...] | None:
    """The route's versions: its own ``@version``, else its controller's, else None;
    an empty tuple for a version-neutral route."""
    own: Any = getattr(definition.function, _ATTR, None)
    if own is not None:
        return tuple(own)
    inherited: Any = definition.controller.__dict__.get(_ATTR)
    return None if inherited is None else tuple(inherited)
