"""The check registry: plain functions over a target, registered by a decorator.

A check raises :class:`CheckFailed` (with a message; the runner attaches the HTTP
exchanges it made as evidence) or :class:`CheckSkipped`, or returns to pass. The pytest
plugin and ``apiconform check`` are thin adapters over this one core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apiconform.errors import ApiconformError
from apiconform.spec import load_catalog

if TYPE_CHECKING:
    from apiconform.conformance.context import CheckContext

CheckFn = Callable[["CheckContext"], None]


class CheckFailed(AssertionError):
    """The target does not meet a requirement."""


class CheckSkipped(Exception):
    """The check cannot run here (a missing probe, service or mode); the reason says which."""


class RegistryError(ApiconformError):
    """A check names an unknown requirement or is registered twice."""


@dataclass(frozen=True)
class Check:
    """A registered check and the requirement ids it decides."""

    name: str
    proposal: str
    requirement_ids: tuple[str, ...]
    fn: CheckFn
    doc: str

    def __call__(self, ctx: CheckContext) -> None:
        self.fn(ctx)


_CHECKS: dict[str, Check] = {}


def check(*requirement_ids: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check deciding ``requirement_ids`` (all of one proposal)."""
    if not requirement_ids:
        raise RegistryError("a check must name at least one requirement id")

    def register(fn: CheckFn) -> CheckFn:
        catalog = load_catalog()
        proposals = {catalog.get(rid).proposal for rid in requirement_ids}
        if len(proposals) != 1:
            raise RegistryError(f"check {fn.__name__} spans proposals {sorted(proposals)}")
        name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
        known = _CHECKS.get(name)
        same = known is not None and (known.fn.__module__, known.fn.__qualname__) == (
            fn.__module__,
            fn.__qualname__,
        )
        if known is not None and not same:  # a module imported again re-registers its own
            raise RegistryError(f"check {name} is registered twice")
        _CHECKS[name] = Check(
            name=name,
            proposal=proposals.pop(),
            requirement_ids=tuple(requirement_ids),
            fn=fn,
            doc=(fn.__doc__ or "").strip().split("\n")[0],
        )
        return fn

    return register


def all_checks() -> list[Check]:
    """Every registered check (importing the check modules registers them)."""
    import apiconform.conformance.checks  # noqa: F401  (registers on import)

    return list(_CHECKS.values())


def checks_for(requirement_id: str) -> list[Check]:
    return [c for c in all_checks() if requirement_id in c.requirement_ids]


def expect(condition: Any, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)
