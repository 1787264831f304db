"""The JSON report: every requirement with its verdict, reason and evidence."""

from __future__ import annotations

import json

from apiconform.conformance.report.model import Report


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
