"""Variants of the reference demo: broken ones, each with one defect, and correct-but-
different ones.

    python -m tests.selftest.variants <variant> serve --agents 2 --port 8000
    python -m tests.selftest.variants <variant> demo-startup port-conflict --port 8000

The self-test runs the conformance checks against each: a broken variant must fail
exactly the requirements it breaks, by the assertions it declares (a check no variant can
fail would prove nothing); a legit variant must pass every check.
"""

from __future__ import annotations

from tests.selftest.variants import (
    auth,
    legit,
    linking,
    observability,
    obslogs,
    outages,
    problems,
    recovery,
    reporting,
    scopes,
    spans,
    startup,
    throttling,
    versioning,
)
from tests.selftest.variants.base import VARIANTS, Variant

__all__ = [
    "VARIANTS",
    "Variant",
    "auth",
    "legit",
    "linking",
    "observability",
    "obslogs",
    "outages",
    "problems",
    "recovery",
    "reporting",
    "scopes",
    "spans",
    "startup",
    "throttling",
    "versioning",
]
