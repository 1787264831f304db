"""``apiconform catalog`` with ``checked_by`` filled in: the conformance checks that
decide each requirement, or who else does (the reference's tests, the coverage gate)."""

from __future__ import annotations

from apiconform.conformance.registry import all_checks
from apiconform.spec import Observed, Requirement
from apiconform.spec.cli import build_command

BY_KIND = {
    Observed.LIBRARY: "reference tests (@pytest.mark.requirement)",
    Observed.COVERAGE: "apiconform gate",
}


def checked_by(requirement: Requirement) -> str | None:
    """Who decides ``requirement``: check names, or the kind of test that does."""
    if requirement.checkable:
        names = [c.name for c in all_checks() if requirement.id in c.requirement_ids]
        return ", ".join(names) if names else "no check yet"
    return BY_KIND.get(requirement.observed)


def with_checked_by(requirements: list[Requirement]) -> list[Requirement]:
    return [r.model_copy(update={"checked_by": checked_by(r)}) for r in requirements]


catalog = build_command(with_checked_by)
