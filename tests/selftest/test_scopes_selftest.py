"""The scope checks against broken variants of the demo: each defect must fail exactly the
requirements it breaks, and every scope check must be failed by some variant."""

from __future__ import annotations

import pytest

from apiconform.conformance.registry import all_checks
from tests.selftest.harness import failed_ids
from tests.selftest.variants.scopes import SCOPE_VARIANTS

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


def failed(variant: str) -> tuple[set[str], dict[str, str]]:
    extra = ("add-health-observability",) if variant.startswith("metrics-") else ()
    return failed_ids(variant, PROPOSAL, extra)


@pytest.mark.parametrize("variant", sorted(EXPECTED_FAILURES))
def test_variant_fails_exactly_the_requirements_it_breaks(variant: str) -> None:
    failed_now, reasons = failed(variant)
    assert failed_now == EXPECTED_FAILURES[variant], {rid: reasons[rid] for rid in failed_now}


def test_every_variant_is_exercised() -> None:
    assert set(EXPECTED_FAILURES) == set(SCOPE_VARIANTS)


def test_every_scope_check_is_failed_by_some_variant() -> None:
    decided = {rid for c in all_checks() if c.proposal == PROPOSAL for rid in c.requirement_ids}
    failable = set().union(*EXPECTED_FAILURES.values())
    assert decided == failable, f"checks no variant can fail: {sorted(decided - failable)}"
