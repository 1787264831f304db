"""The scope checks against broken variants of the demo: each defect must fail exactly the
requirements it breaks, and every scope check must be failed by some variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiconform.conformance.cli import reference_manifest
from apiconform.conformance.manifest import Manifest
from apiconform.conformance.registry import all_checks
from apiconform.conformance.report.model import Verdict
from apiconform.conformance.runner import ConformanceRun
from tests.selftest.variants import VARIANTS

ROOT = Path(__file__).resolve().parents[2]
PROPOSAL = "add-application-scopes"

EXPECTED_FAILURES: dict[str, set[str]] = {
    "shared-cache": {"SCOPE-ISO-02"},
    "scoped-as-singleton": {"SCOPE-DI-02"},
    "transient-as-scoped": {"SCOPE-DI-03"},
    "shared-singletons": {"SCOPE-DI-01"},
    "leaky-providers": {"SCOPE-ISO-01"},
    "leaky-routes": {"SCOPE-ISO-03"},
    "shared-config": {"SCOPE-CFG-01"},
    "no-log-context": {"SCOPE-LOG-01", "SCOPE-CTX-01"},
    "lost-task-context": {"SCOPE-CTX-01"},
    "no-correlation-echo": {"SCOPE-CTX-01"},
    "same-app-id": {"SCOPE-HTTP-01", "SCOPE-TYPE-02", "SCOPE-LOG-01"},
    "silent-port-conflict": {"SCOPE-HTTP-02"},
    "metrics-with-labels": set(),  # a positive control: the metrics check passes here
    "metrics-without-labels": {"SCOPE-LOG-02"},
}


def variant_manifest(variant: str) -> Manifest:
    manifest = reference_manifest()
    claims = list(manifest.claims)
    if variant.startswith("metrics-"):
        claims.append("add-health-observability")
    target = manifest.target.model_copy(
        update={
            "start": f"{{python}} -m tests.selftest.variants {variant} serve --agents 2 "
            "--port {port}",
            "cwd": str(ROOT),
        }
    )
    return manifest.model_copy(update={"target": target, "claims": claims})


def failed_ids(variant: str) -> tuple[set[str], dict[str, str]]:
    with ConformanceRun(variant_manifest(variant), proposals=[PROPOSAL]) as run:
        run.run_all()
        report = run.report()
    verdicts = {r.id: r.verdict for r in report.results}
    reasons = {r.id: r.reason for r in report.results}
    return {rid for rid, v in verdicts.items() if v is Verdict.FAIL}, reasons


@pytest.mark.parametrize("variant", sorted(EXPECTED_FAILURES))
def test_variant_fails_exactly_the_requirements_it_breaks(variant: str) -> None:
    failed, reasons = failed_ids(variant)
    assert failed == EXPECTED_FAILURES[variant], {rid: reasons[rid] for rid in failed}


def test_every_variant_is_exercised() -> None:
    assert set(EXPECTED_FAILURES) == set(VARIANTS)


def test_every_scope_check_is_failed_by_some_variant() -> None:
    decided = {rid for c in all_checks() if c.proposal == PROPOSAL for rid in c.requirement_ids}
    failable = set().union(*EXPECTED_FAILURES.values())
    assert decided == failable, f"checks no variant can fail: {sorted(decided - failable)}"
