"""The check registry: plain functions over a target, registered by a decorator.

A check ends in one of three ways. It returns: every THEN clause it could produce held
(a pass, or a skip when :meth:`CheckContext.unchecked` recorded a clause it could not
produce). It raises :class:`CheckFailed` through :func:`expect` or :func:`fail`: the target
broke the requirement; the failure carries a stable *assertion id* saying which assertion
caught it (the self-test's kill matrix is keyed by these ids). It raises
:class:`CheckSkipped`: the stimulus cannot be produced here (a probe the target declares
absent, a missing service, external mode). Anything else it raises is a bug in the check
and is reported as an *error*, never as the target's failure.

The pytest plugin and ``apiconform check`` are thin adapters over this one core.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from apiconform.errors import ApiconformError
from apiconform.spec import load_catalog

if TYPE_CHECKING:
    from apiconform.conformance.context import CheckContext

CheckFn = Callable[["CheckContext"], None]

# ``ERR-PD-01.trigger-status`` for a check's own assertion, ``problem.media-type`` for one
# in a helper that several checks share.
ASSERTION_ID = re.compile(
    r"^(?:[A-Z]{2,5}-[A-Z0-9]{2,6}-\d{2}|[a-z][a-z0-9]*)\.[a-z0-9][a-z0-9-]*$"
)
CHECKS_PACKAGE = "apiconform.conformance.checks."


class CheckFailed(AssertionError):
    """The target does not meet a requirement; ``assertion`` names the assertion."""

    def __init__(self, message: str, assertion: str) -> None:
        super().__init__(message)
        self.assertion = assertion


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

    @property
    def test_id(self) -> str:
        """The pytest id: the requirement ids first, so ``-k ERR-PD-01`` selects it."""
        return f"{'+'.join(self.requirement_ids)}:{self.name}"


_CHECKS: dict[str, Check] = {}


def check_name(fn: Callable[..., Any]) -> str:
    """``errors.problems.every_error_is_a_problem``: the module below ``checks`` and the
    function, so two modules may hold functions of the same name."""
    module = fn.__module__
    short = module.removeprefix(CHECKS_PACKAGE) if module.startswith(CHECKS_PACKAGE) else None
    return f"{short or module.rsplit('.', 1)[-1]}.{fn.__name__}"


def check(*requirement_ids: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check deciding ``requirement_ids`` (all of one proposal)."""
    if not requirement_ids:
        raise RegistryError("a check must name at least one requirement id")

    def register(fn: CheckFn) -> CheckFn:
        catalog = load_catalog()
        proposals = {catalog.get(rid).proposal for rid in requirement_ids}
        if len(proposals) != 1:
            raise RegistryError(f"check {fn.__name__} spans proposals {sorted(proposals)}")
        name = check_name(fn)
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


def _valid(assertion: str) -> str:
    if not ASSERTION_ID.match(assertion):
        raise ValueError(f"malformed assertion id {assertion!r}")
    return assertion


def expect(condition: Any, assertion: str, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds. ``assertion``
    is this assertion's stable id (a literal: the self-test reads them from the source)."""
    _valid(assertion)
    if not condition:
        raise CheckFailed(message, assertion)


def fail(assertion: str, message: str) -> NoReturn:
    """Fail the running check unconditionally (see :func:`expect`)."""
    raise CheckFailed(message, _valid(assertion))
