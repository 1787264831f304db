"""Deliberately broken variants of the reference demo, each with one defect.

    python -m tests.selftest.variants <variant> serve --agents 2 --port 8000

The self-test runs the conformance checks against each and asserts that exactly the
requirements the defect breaks fail: a check no variant can fail would prove nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.selftest.variants.errors import ERROR_VARIANTS
from tests.selftest.variants.scopes import SCOPE_VARIANTS

VARIANTS: dict[str, Callable[[], None]] = {**SCOPE_VARIANTS, **ERROR_VARIANTS}
