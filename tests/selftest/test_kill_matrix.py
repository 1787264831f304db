"""The assertion kill matrix: every assertion of every check is failed by at least one
broken variant. An assertion nothing fails would let a defect through unnoticed; this
lists the ones that are not killed (new checks plug in by declaring their assertions'
ids and adding variants that kill them)."""

from __future__ import annotations

from collections import defaultdict

from apiconform.conformance.registry import ASSERTION_ID, all_checks
from apiconform.spec import load_catalog
from tests.selftest.harness import assertion_sites
from tests.selftest.variants import VARIANTS

BUILT = {"add-application-scopes", "add-error-handling"}


def kill_matrix() -> dict[str, list[str]]:
    """Assertion id -> the broken variants that fail it."""
    matrix: dict[str, list[str]] = defaultdict(list)
    for name, variant in sorted(VARIANTS.items()):
        for assertion in set(variant.kills.values()):
            matrix[assertion].append(name)
    return {a: matrix.get(a, []) for a in sorted(assertion_sites())}


def test_every_assertion_has_a_unique_literal_id() -> None:
    sites = assertion_sites()
    assert sites, "no assertion found in the check modules"
    malformed = sorted(a for a in sites if not ASSERTION_ID.match(a))
    assert not malformed, f"assertions without a literal, well-formed id: {malformed}"
    shared = {a: where for a, where in sites.items() if len(where) > 1}
    assert not shared, f"assertion ids used at more than one place: {shared}"


def test_every_assertion_is_failed_by_some_broken_variant() -> None:
    unkilled = sorted(a for a, killers in kill_matrix().items() if not killers)
    assert not unkilled, f"assertions no broken variant fails: {unkilled}"


def test_variants_kill_real_assertions_of_real_checks() -> None:
    sites = set(assertion_sites())
    catalog = load_catalog()
    decided = {rid for c in all_checks() for rid in c.requirement_ids}
    for name, variant in VARIANTS.items():
        assert set(variant.kills.values()) <= sites, (name, set(variant.kills.values()) - sites)
        for rid in variant.kills:
            assert rid in decided, f"{name} kills {rid}, which no check decides"
            assert catalog.get(rid).proposal in variant.proposals, (name, rid)
        assert not variant.legit or not variant.kills, f"legit variant {name} declares kills"


def test_every_checked_requirement_of_a_built_proposal_is_failed_by_some_variant() -> None:
    killed = {rid for v in VARIANTS.values() for rid in v.kills}
    checkable = {r.id for r in load_catalog() if r.checkable and r.proposal in BUILT}
    assert sorted(checkable - killed) == []
