"""The ERR-* checks against broken variants of the demo: each defect fails exactly the
requirements it breaks, and every ERR check is failed by some variant."""

from __future__ import annotations

import pytest

from apiconform.conformance.registry import all_checks
from tests.selftest.harness import NETWORKED_DATABASE, failed_ids
from tests.selftest.variants.errors import ERROR_VARIANTS

PROPOSAL = "add-error-handling"
# the database-outage checks run only when the suite can cut a networked database
DB_OUTAGE = {"ERR-XFORM-02", "ERR-XFORM-03"} if NETWORKED_DATABASE else set()
RENDERED = {  # every check that reads a problem body
    "ERR-PD-01",
    "ERR-PD-02",
    "ERR-EXC-01",
    "ERR-EXC-02",
    "ERR-EXC-03",
    "ERR-VAL-01",
    "ERR-FILTER-01",
    "ERR-CORR-01",
    "ERR-CTX-02",
    "ERR-CTX-03",
    "ERR-XFORM-01",
}

EXPECTED_FAILURES: dict[str, set[str]] = {
    "plain-json-errors": RENDERED | (DB_OUTAGE - {"ERR-XFORM-03"}),  # Retry-After is still sent
    "stack-in-production": {"ERR-CTX-03", "ERR-XFORM-01"},  # the 409 shows its SQL too
    "no-stack-in-development": {"ERR-CTX-02"},
    "framework-errors-unhandled": {"ERR-PD-01", "ERR-EXC-01"},
    "validation-as-400": {"ERR-PD-01", "ERR-EXC-03", "ERR-VAL-01"},
    "first-error-only": {"ERR-EXC-03", "ERR-VAL-01"},
    "no-correlation-in-body": {"ERR-PD-02", "ERR-CORR-01"},
    "no-timestamp": {"ERR-PD-02"},
    "no-database-filter": {"ERR-XFORM-01"} | DB_OUTAGE,
    "no-retry-after-for-database": {"ERR-XFORM-03"} & DB_OUTAGE,
    "silent-errors": {"ERR-CORR-02", "ERR-LOG-01", "ERR-CTX-01"},
    "no-stack-in-log": {"ERR-LOG-01"},
    "log-without-request": {"ERR-CTX-01"},
    "no-degraded-header": {"ERR-DEGR-01"},
    "no-reporters": {"ERR-MON-01", "ERR-MON-02"},
    "unsigned-webhook": {"ERR-MON-02"},
    "no-sentry": {"ERR-MON-01"},
    "crash-as-plain-text": {"ERR-FILTER-01", "ERR-CTX-02", "ERR-CTX-03"},
    "bad-request-without-detail": {"ERR-EXC-02"},
    "no-body-limit": {"ERR-PD-01"},
}


@pytest.mark.parametrize("variant", sorted(EXPECTED_FAILURES))
def test_variant_fails_exactly_the_requirements_it_breaks(variant: str) -> None:
    failed, reasons = failed_ids(variant, PROPOSAL)
    assert failed == EXPECTED_FAILURES[variant], {rid: reasons[rid] for rid in failed}


def test_every_variant_is_exercised() -> None:
    assert set(EXPECTED_FAILURES) == set(ERROR_VARIANTS)


def test_every_error_check_is_failed_by_some_variant() -> None:
    decided = {rid for c in all_checks() if c.proposal == PROPOSAL for rid in c.requirement_ids}
    if not NETWORKED_DATABASE:
        decided -= {"ERR-XFORM-02", "ERR-XFORM-03"}
    failable = set().union(*EXPECTED_FAILURES.values())
    assert decided == failable, f"checks no variant can fail: {sorted(decided - failable)}"
