"""What the locustfiles count while they run, kept free of locust so that the runner and
the tests use it without gevent's monkey-patching."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Observations:
    """Counters (summed when merged) and maxima (the largest wins) of one run."""

    counters: Counter[str] = field(default_factory=Counter)
    maxima: dict[str, float] = field(default_factory=dict)

    def count(self, name: str, amount: int = 1) -> None:
        self.counters[name] += amount

    def maximum(self, name: str, value: float) -> None:
        if value > self.maxima.get(name, float("-inf")):
            self.maxima[name] = value

    def merge(self, data: dict[str, Any]) -> None:
        """Add another process's report (see :meth:`drain`)."""
        self.counters.update(data.get("counters", {}))
        for name, value in data.get("maxima", {}).items():
            self.maximum(name, value)

    def drain(self) -> dict[str, Any]:
        """What was observed since the last drain (a worker's report to its master)."""
        data = self.as_dict()
        self.counters = Counter()
        self.maxima = {}
        return data

    def as_dict(self) -> dict[str, Any]:
        return {"counters": dict(self.counters), "maxima": dict(self.maxima)}


def is_problem(content_type: str | None) -> bool:
    """An RFC 9457 problem's media type (parameters allowed)."""
    return (content_type or "").split(";")[0].strip().lower() == "application/problem+json"


def series_count(text: str) -> int:
    """Samples in a Prometheus text exposition (the lines that are not comments)."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#"))
