"""The result of a conformance run: one verdict per requirement, with its evidence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from apiconform.spec import Level, Requirement


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    ERROR = "error"  # the check itself broke: not the target's failure
    SKIP = "skip"
    NOT_CLAIMED = "not-claimed"


@dataclass
class CheckOutcome:
    """How one check ended; ``assertion`` names the assertion that failed it."""

    check: str
    requirement_ids: tuple[str, ...]
    verdict: Verdict
    message: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0
    assertion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "verdict": self.verdict.value,
            "message": self.message,
            "assertion": self.assertion,
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

    @property
    def must(self) -> bool:
        return self.requirement.level is Level.MUST

    @property
    def advisory(self) -> bool:
        """A SHOULD or MAY requirement that failed: reported, never fatal."""
        return self.verdict is Verdict.FAIL and not self.must

    @property
    def assertion(self) -> str | None:
        failed = [o.assertion for o in self.outcomes if o.verdict is Verdict.FAIL]
        return failed[0] if failed else None

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
            "assertion": self.assertion,
            "checks": [o.to_dict() for o in self.outcomes],
        }


@dataclass
class Report:
    """A whole run. ``not_checkable`` counts the selected requirements that are observed in
    process, by a coverage gate or not at all (library / coverage / n/a). With ``strict``,
    a MUST requirement that was not verified (skipped, or its check broke) fails the run."""

    target: str
    mode: str
    started_at: str
    duration_s: float
    results: list[RequirementResult]
    not_checkable: dict[str, int] = field(default_factory=dict)
    strict: bool = False
    command: str | None = None
    manifest: dict[str, Any] | None = None

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
    def claimed(self) -> list[RequirementResult]:
        """The requirements of claimed proposals (checkable, selected)."""
        return [r for r in self.results if r.verdict is not Verdict.NOT_CLAIMED]

    @property
    def checked(self) -> list[RequirementResult]:
        """The requirements a check decided (passed or failed)."""
        return [r for r in self.results if r.verdict in (Verdict.PASS, Verdict.FAIL)]

    @property
    def must_failures(self) -> list[RequirementResult]:
        return [r for r in self.results if r.verdict is Verdict.FAIL and r.must]

    @property
    def advisories(self) -> list[RequirementResult]:
        return [r for r in self.results if r.advisory]

    @property
    def errors(self) -> list[RequirementResult]:
        return [r for r in self.results if r.verdict is Verdict.ERROR]

    @property
    def unverified_musts(self) -> list[RequirementResult]:
        """MUST requirements of claimed proposals that were skipped or whose check broke."""
        return [r for r in self.results if r.must and r.verdict in (Verdict.SKIP, Verdict.ERROR)]

    @property
    def fatal(self) -> list[RequirementResult]:
        """What fails the run: MUST failures, and with ``strict`` unverified MUSTs."""
        return self.must_failures + (self.unverified_musts if self.strict else [])

    @property
    def passed(self) -> bool:
        """True unless a MUST requirement failed (or, with ``strict``, went unverified);
        SHOULD/MAY failures are reported only."""
        return not self.fatal

    @property
    def coverage_line(self) -> str:
        return f"checked {len(self.checked)} of {len(self.claimed)} claimed requirements"

    def status_line(self) -> str:
        if self.passed:
            return "passed"
        parts = []
        if self.must_failures:
            parts.append(f"{len(self.must_failures)} MUST requirement(s) failed")
        if self.strict and self.unverified_musts:
            parts.append(f"{len(self.unverified_musts)} MUST requirement(s) not verified")
        return "failed: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "command": self.command,
            "mode": self.mode,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "strict": self.strict,
            "passed": self.passed,
            "checked": len(self.checked),
            "claimed": len(self.claimed),
            "summary": {p: {v.value: self.counts(p)[v] for v in Verdict} for p in self.proposals()},
            "not_checkable": self.not_checkable,
            "manifest": self.manifest,
            "requirements": [r.to_dict() for r in self.results],
        }
