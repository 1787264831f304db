"""What the containers of one tree share: the registration generation, the lock for
synchronous resolution, and the close method of each class."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any, cast

_CLOSE_METHODS = ("aclose", "dispose", "close")


class Tree:
    """What the containers of one tree (a root and its scopes) share, and nothing else
    does: a generation bumped by every registration in the tree (cached facts about its
    provider graphs expire with it), the lock that makes synchronous resolution
    thread-safe, and which close method each class has."""

    __slots__ = ("closers", "generation", "lock")

    def __init__(self) -> None:
        self.generation = 0
        self.lock = threading.RLock()
        self.closers: dict[type[Any], str | None] = {}


def closer(instance: Any, cache: dict[type[Any], str | None]) -> Callable[[], Any] | None:
    """The instance's ``aclose``/``dispose``/``close`` method (class lookups cached)."""
    if inspect.isclass(instance):
        return None
    cls = type(instance)
    try:
        name = cache[cls]
    except KeyError:
        name = cache[cls] = next(
            (n for n in _CLOSE_METHODS if callable(getattr(cls, n, None))), None
        )
    if name is None:  # a method may still be set on the instance itself
        own = getattr(instance, "__dict__", None)
        if own and not own.keys().isdisjoint(_CLOSE_METHODS):
            name = next((n for n in _CLOSE_METHODS if callable(own.get(n))), None)
    return None if name is None else cast(Callable[[], Any], getattr(instance, name))
