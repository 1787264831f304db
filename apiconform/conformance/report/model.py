"""The result of a conformance run: one verdict per requirement, with its evidence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from apiconform.spec import Requirement


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    SKIP = "skip"
    NOT_CLAIMED = "not-claimed"


@dataclass
class CheckOutcome:
    """How one check ended."""

    check: str
    requirement_ids: tuple[str, ...]
    verdict: Verdict
    message: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "verdict": self.verdict.value,
            "message": self.message,
            "duration_ms": self.duration_ms,
            "evidence": self.evidence,
        }


@dataclass
class RequirementResult:
    requirement: Requirement
    verdict: Verdict
    reason: str = ""
    outcomes: list[CheckOutcome] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.requirement.id

    def to_dict(self) -> dict[str, Any]:
        req = self.requirement
        return {
            "id": req.id,
            "proposal": req.proposal,
            "title": req.title,
            "level": req.level.value,
            "observed": req.observed.value,
            "spec": req.spec,
            "requirement": req.requirement,
            "scenario": req.scenario,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "checks": [o.to_dict() for o in self.outcomes],
        }


@dataclass
class Report:
    """A whole run. ``not_checkable`` counts the selected requirements that are observed in
    process, by a coverage gate or not at all (library / coverage / n/a)."""

    target: str
    mode: str
    started_at: str
    duration_s: float
    results: list[RequirementResult]
    not_checkable: dict[str, int] = field(default_factory=dict)

    def counts(self, proposal: str | None = None) -> Counter[Verdict]:
        return Counter(
            r.verdict
            for r in self.results
            if proposal is None or r.requirement.proposal == proposal
        )

    def proposals(self) -> list[str]:
        seen: dict[str, None] = {}
        for result in self.results:
            seen.setdefault(result.requirement.proposal, None)
        return list(seen)

    @property
    def must_failures(self) -> list[RequirementResult]:
        return [
            r for r in self.results if r.verdict is Verdict.FAIL and r.requirement.level == "MUST"
        ]

    @property
    def passed(self) -> bool:
        """True unless a MUST requirement failed (SHOULD/MAY failures are reported only)."""
        return not self.must_failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "mode": self.mode,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "passed": self.passed,
            "summary": {p: {v.value: self.counts(p)[v] for v in Verdict} for p in self.proposals()},
            "not_checkable": self.not_checkable,
            "requirements": [r.to_dict() for r in self.results],
        }
