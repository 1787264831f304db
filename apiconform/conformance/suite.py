"""The conformance suite as pytest tests: one thin test per registered check.

    pytest --pyargs apiconform.conformance.suite --conformance-url=http://127.0.0.1:8000 \
        --conformance-manifest=target.toml --conformance-report=report/
"""

from __future__ import annotations

import pytest

from apiconform.conformance.plugin import active, run_check_in_pytest, selected_checks
from apiconform.conformance.registry import Check
from apiconform.conformance.runner import ConformanceRun


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_check" not in metafunc.fixturenames:
        return
    checks = selected_checks(metafunc.config) if active(metafunc.config) else []
    metafunc.parametrize(
        "conformance_check",
        [
            pytest.param(c, id=c.test_id, marks=pytest.mark.requirement(*c.requirement_ids))
            for c in checks
        ],
    )


def test_requirement(conformance_check: Check, conformance: ConformanceRun) -> None:
    run_check_in_pytest(conformance, conformance_check)
