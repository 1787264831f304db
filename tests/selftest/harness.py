"""Running the conformance checks against a variant of the demo, and what to expect."""

from __future__ import annotations

import ast
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from apiconform.conformance.cli import reference_manifest
from apiconform.conformance.manifest import Manifest, parse_manifest
from apiconform.conformance.registry import all_checks
from apiconform.conformance.report.model import Verdict
from apiconform.conformance.runner import ConformanceRun
from apiconform.conformance.target import TargetError
from apiconform.spec import load_catalog
from tests.selftest.variants import Variant

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / "apiconform" / "conformance" / "checks"
# checks that need a database the suite can cut run only when one is configured
NETWORKED_DATABASE = bool(os.environ.get("DATABASE_URL"))
DATABASE_CUTS = frozenset(
    {"ERR-XFORM-02", "ERR-XFORM-03", "ERR-RECOV-01", "OBS-DB-02", "OBS-READY-02"}
)
# what the plain demo leaves unobservable: without DATABASE_URL its database is SQLite,
# which the suite cannot cut
BASE_SKIPS = frozenset() if NETWORKED_DATABASE else DATABASE_CUTS


def undecided() -> frozenset[str]:
    """Requirements of a proposal whose checks are not all written yet: no check ran."""
    decided = {rid for c in all_checks() for rid in c.requirement_ids}
    return frozenset(r.id for r in load_catalog() if r.checkable and r.id not in decided)


def variant_manifest(variant: Variant) -> Manifest:
    """The reference manifest, started as ``variant`` instead of the plain demo."""
    manifest = reference_manifest()
    data = manifest.model_dump(mode="json")
    cli = f"{{python}} -m tests.selftest.variants {variant.name}"
    data["target"]["start"] = data["target"]["start"].replace("{python} -m apiconform.cli", cli)
    data["target"]["cwd"] = str(ROOT)
    startup = data["scopes"]["startup"]
    for name, command in startup.items():
        if command:
            startup[name] = command.replace(
                "{python} -m apiconform.reference.demo.startup", f"{cli} demo-startup"
            )
    versioning = data["versioning"]
    if versioning.get("invalid_strategy"):
        versioning["invalid_strategy"] = versioning["invalid_strategy"].replace(
            "{python} -m apiconform.cli", cli
        )
    data["claims"] = [*data["claims"], *variant.claims]
    if variant.manifest is not None:
        variant.manifest(data)
    return parse_manifest(data, manifest.source or "<variant>")


@dataclass(frozen=True)
class Outcome:
    """What a run against a variant decided, per requirement."""

    failed: dict[str, str]  # requirement -> assertion id
    errors: dict[str, str]  # requirement -> what broke in the check
    skipped: dict[str, str]  # requirement -> reason
    reasons: dict[str, str]


@contextlib.contextmanager
def unmeasured_targets() -> Iterator[None]:
    """Targets started meanwhile run without coverage: a variant's target is the demo
    with one patch, measured by the reference's own tests and by ``apiconform check``;
    tracing it again in each of some three hundred variant runs only costs CPU. The
    checks themselves run in this process and stay measured."""
    saved = os.environ.pop("COVERAGE_PROCESS_CONFIG", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["COVERAGE_PROCESS_CONFIG"] = saved


def run_variant(variant: Variant) -> Outcome:
    with unmeasured_targets():
        return _run_variant(variant)


def _run_variant(variant: Variant) -> Outcome:
    for attempt in (1, 2):
        run = ConformanceRun(variant_manifest(variant), proposals=variant.proposals)
        try:
            run.start()
        except TargetError:
            # another worker took a port between its choice and the target's bind
            if attempt == 2:
                raise
            continue
        try:
            run.run_all()
        finally:
            run.close()
        break
    report = run.report()
    failed = {r.id: r.assertion or "" for r in report.results if r.verdict is Verdict.FAIL}
    errors = {r.id: r.reason for r in report.results if r.verdict is Verdict.ERROR}
    skipped = {r.id: r.reason for r in report.results if r.verdict is Verdict.SKIP}
    return Outcome(failed, errors, skipped, {r.id: r.reason for r in report.results})


def proposal_ids(variant: Variant) -> set[str]:
    return {r.id for r in load_catalog() if r.proposal in variant.proposals and r.checkable}


def expected_skips(variant: Variant) -> set[str]:
    """The requirements a run against ``variant`` cannot observe here."""
    skips = (BASE_SKIPS - variant.observes) | variant.skips | undecided()
    return skips & proposal_ids(variant)


def expected_kills(variant: Variant) -> dict[str, str]:
    """The kills observable here (a database cut needs DATABASE_URL)."""
    unobservable = expected_skips(variant)
    return {rid: a for rid, a in variant.kills.items() if rid not in unobservable}


def assertion_sites() -> dict[str, list[str]]:
    """Every assertion id in the check modules, with where it is (``file:line``): the
    second argument of each ``expect(...)`` and the first of each ``fail(...)``."""
    found: dict[str, list[str]] = {}
    for path in sorted(CHECKS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            index = {"expect": 1, "fail": 0}.get(node.func.id)
            if index is None:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            argument = node.args[index] if len(node.args) > index else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.setdefault(argument.value, []).append(where)
            else:
                found.setdefault(f"<not a literal at {where}>", []).append(where)
    return found
