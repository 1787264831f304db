"""Running the conformance checks against a broken variant of the demo."""

from __future__ import annotations

import os
from pathlib import Path

from apiconform.conformance.cli import reference_manifest
from apiconform.conformance.manifest import Manifest
from apiconform.conformance.report.model import Verdict
from apiconform.conformance.runner import ConformanceRun

ROOT = Path(__file__).resolve().parents[2]
# checks that need a database the suite can cut run only when one is configured
NETWORKED_DATABASE = bool(os.environ.get("DATABASE_URL"))


def variant_manifest(variant: str, extra_claims: tuple[str, ...] = ()) -> Manifest:
    """The reference manifest, started as ``variant`` instead of the plain demo."""
    manifest = reference_manifest()
    start = manifest.target.start
    assert start is not None
    target = manifest.target.model_copy(
        update={
            "start": start.replace(
                "{python} -m apiconform.cli", f"{{python}} -m tests.selftest.variants {variant}"
            ),
            "cwd": str(ROOT),
        }
    )
    claims = [*manifest.claims, *extra_claims]
    return manifest.model_copy(update={"target": target, "claims": claims})


def failed_ids(
    variant: str, proposal: str, extra_claims: tuple[str, ...] = ()
) -> tuple[set[str], dict[str, str]]:
    """The requirement ids of ``proposal`` that fail against ``variant`` (and every reason)."""
    with ConformanceRun(variant_manifest(variant, extra_claims), proposals=[proposal]) as run:
        run.run_all()
        report = run.report()
    reasons = {r.id: r.reason for r in report.results}
    return {r.id for r in report.results if r.verdict is Verdict.FAIL}, reasons
